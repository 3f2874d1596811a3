import { describe, expect, it } from 'vitest';
import { allIds, buildOrgTree, filterTree, pathTo, type Org } from './orgTree';

const org = (id: string, parent = '', kind = 'enterprise', name = id, extra: Partial<Org> = {}): Org => ({
  id, name, kind, parent, province: '', sectors: [], contacts: [], networks: [], asns: [], domains: [], ...extra,
});

describe('buildOrgTree', () => {
  it('nests members under provincial units and sector teams under the centre, higher kinds first', () => {
    const t = buildOrgTree([
      org('bvhn', 'ca-nghe-an', 'important_operator', 'Bệnh viện'),
      org('csirt-transport', 'ncsc', 'sector_team', 'A team'),
      org('ca-nghe-an', 'ncsc', 'provincial_unit', 'Công an Nghệ An'),
      org('ncsc', '', 'national_centre', 'NCSC'),
    ]);
    expect(t).toHaveLength(1);
    expect(t[0].org.id).toBe('ncsc');
    expect(t[0].children.map((c) => c.org.id)).toEqual(['ca-nghe-an', 'csirt-transport']);
    expect(t[0].children[0].children[0].org.id).toBe('bvhn');
    expect(t[0].children[0].children[0].depth).toBe(2);
  });

  it('sorts siblings of one kind by Vietnamese name', () => {
    const t = buildOrgTree([
      org('r', ''), org('c', 'r', 'provincial_unit', 'Công an tỉnh Đắk Lắk'),
      org('b', 'r', 'provincial_unit', 'Công an tỉnh Cao Bằng'), org('a', 'r', 'provincial_unit', 'Công an tỉnh An Giang'),
    ]);
    expect(t[0].children.map((c) => c.org.id)).toEqual(['a', 'b', 'c']);
  });

  it('makes an organisation whose parent is not visible a root (a member or provincial caller)', () => {
    const t = buildOrgTree([org('ca-nghe-an', 'ncsc', 'provincial_unit'), org('bvhn', 'ca-nghe-an')]);
    expect(t.map((n) => n.org.id)).toEqual(['ca-nghe-an']);
    expect(t[0].children.map((n) => n.org.id)).toEqual(['bvhn']);
  });

  it('cuts a parent cycle and still lists everyone exactly once', () => {
    const t = buildOrgTree([org('a', 'c'), org('b', 'a'), org('c', 'b'), org('d', 'd'), org('e', 'b')]);
    const ids = allIds(t).sort();
    expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(t.map((n) => n.org.id).sort()).toEqual(['a', 'd']);
  });

  it('keeps the first of duplicated ids and ignores empty ones', () => {
    const t = buildOrgTree([org('a', '', 'enterprise', 'first'), org('a', '', 'enterprise', 'second'), org('', 'a')]);
    expect(t).toHaveLength(1);
    expect(t[0].org.name).toBe('first');
  });
});

describe('filterTree', () => {
  const t = buildOrgTree([
    org('ncsc', '', 'national_centre', 'NCSC'),
    org('ca-nghe-an', 'ncsc', 'provincial_unit', 'Công an tỉnh Nghệ An'),
    org('bvhn', 'ca-nghe-an', 'important_operator', 'Bệnh viện Hữu nghị', { domains: ['bvhn.vn'] }),
    org('ca-ha-noi', 'ncsc', 'provincial_unit', 'Công an Hà Nội'),
  ]);

  it('keeps matches with their ancestors, ignoring accents and case', () => {
    const f = filterTree(t, 'benh vien');
    expect(allIds(f)).toEqual(['ncsc', 'ca-nghe-an', 'bvhn']);
  });

  it('matches domains and returns everything for an empty query', () => {
    expect(allIds(filterTree(t, 'BVHN.VN'))).toContain('bvhn');
    expect(filterTree(t, '  ')).toBe(t);
    expect(filterTree(t, 'nothing-like-this')).toEqual([]);
  });

  it('finds the path to a node', () => {
    expect(pathTo(t, 'bvhn')).toEqual(['ncsc', 'ca-nghe-an', 'bvhn']);
    expect(pathTo(t, 'x')).toEqual([]);
  });
});
