import { describe, expect, it } from 'vitest';
import { groupDiagnostics, nextSort, sortRules, type RuleItem } from './rulesModel';

const r = (id: string, title: string, level: string, hits: number): RuleItem => ({
  id, title, level, hits, status: 'stable', tags: [], logsource: { product: 'windows' }, file: `${id}.yml`,
});

describe('sortRules', () => {
  const items = [r('a', 'Beta', 'high', 3), r('b', 'alpha', 'critical', 10), r('c', 'Gamma', 'low', 3)];
  it('sorts by hits descending, ties by title', () => {
    expect(sortRules(items, { key: 'hits', dir: 'desc' }).map((x) => x.id)).toEqual(['b', 'a', 'c']);
  });
  it('sorts levels by severity, not alphabetically', () => {
    expect(sortRules(items, { key: 'level', dir: 'asc' }).map((x) => x.level)).toEqual(['low', 'high', 'critical']);
  });
  it('sorts titles case-insensitively and does not mutate the input', () => {
    const before = items.map((x) => x.id);
    expect(sortRules(items, { key: 'title', dir: 'asc' }).map((x) => x.id)).toEqual(['b', 'a', 'c']);
    expect(items.map((x) => x.id)).toEqual(before);
  });
});

describe('nextSort', () => {
  it('flips the same column and starts numbers descending', () => {
    expect(nextSort({ key: 'title', dir: 'asc' }, 'title')).toEqual({ key: 'title', dir: 'desc' });
    expect(nextSort({ key: 'title', dir: 'asc' }, 'hits')).toEqual({ key: 'hits', dir: 'desc' });
    expect(nextSort({ key: 'hits', dir: 'desc' }, 'file')).toEqual({ key: 'file', dir: 'asc' });
  });
});

describe('groupDiagnostics', () => {
  it('groups by file with errors first, then by position', () => {
    const g = groupDiagnostics([
      { file: 'b.yml', line: 1, column: 1, severity: 'warning', message: 'w' },
      { file: 'a.yml', line: 9, column: 1, severity: 'error', message: 'e2' },
      { file: 'a.yml', line: 2, column: 5, severity: 'error', message: 'e1' },
      { file: 'a.yml', line: 1, column: 1, severity: 'warning', message: 'w0' },
    ]);
    expect(g.map(([f]) => f)).toEqual(['a.yml', 'b.yml']);
    expect(g[0][1].map((d) => d.message)).toEqual(['e1', 'e2', 'w0']);
  });
});
