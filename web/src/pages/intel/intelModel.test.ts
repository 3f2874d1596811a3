import { describe, expect, it } from 'vitest';
import { filterIndicators, sampleVerdict, taxiiRootPath, typesOf, type Indicator, type Sample } from './intelModel';

const ind = (ref: string, obs: [string, string][], extra: Partial<Indicator> = {}): Indicator =>
  ({ ref, name: '', observables: [obs.map(([type, value]) => ({ type, value }))], tags: [], ...extra }) as Indicator;

describe('indicator filters', () => {
  const items = [
    ind('indicator--1', [['domain', 'c2.example.vn']], { tags: ['dga'] }),
    ind('indicator--2', [['ipv4', '203.0.113.7']]),
    ind('indicator--3', [['domain', 'Bad.Example.com'], ['url', 'http://bad.example.com/x']]),
  ];
  it('lists the observable types present', () => {
    expect(typesOf(items)).toEqual(['domain', 'ipv4', 'url']);
  });
  it('filters by type and by value, name, ref or tag, case-insensitively', () => {
    expect(filterIndicators(items, 'domain', '').map((i) => i.ref)).toEqual(['indicator--1', 'indicator--3']);
    expect(filterIndicators(items, '', 'bad.EXAMPLE').map((i) => i.ref)).toEqual(['indicator--3']);
    expect(filterIndicators(items, '', 'dga').map((i) => i.ref)).toEqual(['indicator--1']);
    expect(filterIndicators(items, 'ipv4', 'example')).toEqual([]);
  });
});

describe('taxiiRootPath', () => {
  it('turns an absolute api root into a same-origin path', () => {
    expect(taxiiRootPath('http://127.0.0.1:9/taxii2/lachan/', 'http://localhost')).toBe('/taxii2/lachan/');
    expect(taxiiRootPath('/taxii2/lachan', 'http://localhost')).toBe('/taxii2/lachan/');
  });
});

describe('sampleVerdict', () => {
  it('is malicious with a family or a YARA match', () => {
    expect(sampleVerdict({ family: 'emotet', yara: [] } as unknown as Sample)).toBe('malicious');
    expect(sampleVerdict({ family: '', yara: [{ rule: 'x' }] } as unknown as Sample)).toBe('malicious');
    expect(sampleVerdict({ family: '', yara: [] } as unknown as Sample)).toBe('no_match');
  });
});
