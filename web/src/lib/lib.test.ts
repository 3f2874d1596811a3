import { describe, expect, it } from 'vitest';
import type { Incident, Page } from '../api';
import { scaleBounds, scaleColour, scaleStep, SCALE_COLOURS } from './colorScale';
import { Pager } from './pager';
import { currentClock, incidentSla, slaClock } from './sla';
import { DEFAULT_FILTERS, filterQuery, filtersFromSearch, filtersToSearch, hasFilters } from './warningFilters';

describe('warning filters ⇄ query string', () => {
  it('round-trips', () => {
    const s = 'status=new&status=acknowledged&severity=high&min_severity=medium&province=ha-noi&q=ssh&sort=severity&order=asc';
    const f = filtersFromSearch(s);
    expect(f.status).toEqual(['new', 'acknowledged']);
    expect(f.severity).toEqual(['high']);
    expect(f).toMatchObject({ min_severity: 'medium', province: 'ha-noi', q: 'ssh', sort: 'severity', order: 'asc' });
    expect(filtersFromSearch(filtersToSearch(f))).toEqual(f);
  });
  it('accepts comma lists, drops unknown values and leaves defaults out', () => {
    const f = filtersFromSearch('status=new,bogus,resolved&sort=nope&order=sideways&min_severity=huge');
    expect(f.status).toEqual(['new', 'resolved']);
    expect(f.sort).toBe('last_seen');
    expect(f.order).toBe('desc');
    expect(f.min_severity).toBeUndefined();
    expect(filtersToSearch(DEFAULT_FILTERS)).toBe('');
    expect(hasFilters(DEFAULT_FILTERS)).toBe(false);
    expect(hasFilters({ ...DEFAULT_FILTERS, sort: 'count' })).toBe(false);
    expect(hasFilters({ ...DEFAULT_FILTERS, q: 'x' })).toBe(true);
  });
  it('gives the API its filters without sort for /count', () => {
    const q = filterQuery(filtersFromSearch('status=new&sort=count&rule=lachan-ssh'));
    expect(q).toMatchObject({ status: ['new'], rule: 'lachan-ssh' });
    expect(q).not.toHaveProperty('sort');
  });
});

type Row = { id: number };
function fakeServer(total: number) {
  const calls: (string | null)[] = [];
  const fetchPage = async (_q: string, cursor: string | null, limit: number): Promise<Page<Row>> => {
    calls.push(cursor);
    const start = cursor ? Number(cursor) : 0;
    const items = Array.from({ length: Math.max(0, Math.min(limit, total - start)) }, (_, i) => ({ id: total - (start + i) }));
    const next = start + limit < total ? String(start + limit) : null;
    return { items, next_cursor: next };
  };
  return { calls, fetchPage };
}

describe('Pager', () => {
  it('chains cursors page by page and stops at the end', async () => {
    const srv = fakeServer(450);
    const p = new Pager<Row, string>(srv.fetchPage, 'q', 200);
    await p.loadMore();
    expect(p.getState().items).toHaveLength(200);
    await p.loadMore();
    await p.loadMore();
    expect(srv.calls).toEqual([null, '200', '400']);
    expect(p.getState().items).toHaveLength(450);
    expect(p.getState().done).toBe(true);
    await p.loadMore();
    expect(srv.calls).toHaveLength(3);
    expect(new Set(p.getState().items.map((r) => r.id)).size).toBe(450);
  });
  it('does not load twice at once', async () => {
    const srv = fakeServer(1000);
    const p = new Pager<Row, string>(srv.fetchPage, 'q', 200);
    await Promise.all([p.loadMore(), p.loadMore(), p.loadMore()]);
    expect(srv.calls).toEqual([null]);
  });
  it('drops rows it already holds (a row that moved to the next page)', async () => {
    const pages: Page<Row>[] = [
      { items: [{ id: 5 }, { id: 4 }], next_cursor: 'a' },
      { items: [{ id: 4 }, { id: 3 }], next_cursor: null },
    ];
    let i = 0;
    const p = new Pager<Row, string>(async () => pages[i++], 'q', 2);
    await p.loadMore();
    await p.loadMore();
    expect(p.getState().items.map((r) => r.id)).toEqual([5, 4, 3]);
  });
  it('stops on an empty page or a cursor that does not move', async () => {
    const p = new Pager<Row, string>(async () => ({ items: [{ id: 1 }], next_cursor: 'same' }), 'q', 1);
    await p.loadMore();
    expect(p.getState().done).toBe(false);
    await p.loadMore();
    expect(p.getState().done).toBe(true);
  });
  it('a filter change mid-load discards the old answer', async () => {
    const resolvers: ((p: Page<Row>) => void)[] = [];
    const queries: string[] = [];
    const p = new Pager<Row, string>(
      (q) => {
        queries.push(q);
        return new Promise((r) => resolvers.push(r));
      },
      'old',
      2,
    );
    const first = p.loadMore();
    expect(p.getState().loading).toBe(true);
    const second = p.setQuery('new');
    expect(queries).toEqual(['old', 'new']);
    resolvers[1]({ items: [{ id: 10 }], next_cursor: null });
    await second;
    resolvers[0]({ items: [{ id: 99 }, { id: 98 }], next_cursor: 'x' }); // late answer for 'old'
    await first;
    expect(p.getState().items.map((r) => r.id)).toEqual([10]);
    expect(p.getState().done).toBe(true);
    expect(p.getState().loading).toBe(false);
  });
  it('keeps an error until retried', async () => {
    let fail = true;
    const p = new Pager<Row, string>(async () => {
      if (fail) throw new Error('boom');
      return { items: [{ id: 1 }], next_cursor: null };
    }, 'q');
    await p.loadMore();
    expect(p.getState().error?.message).toBe('boom');
    await p.loadMore(); // not retried by scrolling
    fail = false;
    await p.retry();
    expect(p.getState().items).toHaveLength(1);
  });
});

describe('SLA clocks', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');
  it('counts down, warns within the hour, breaches after due', () => {
    expect(slaClock('2026-05-01T15:00:00Z', null, false, now)).toMatchObject({ state: 'pending', remainingMs: 3 * 3600_000 });
    expect(slaClock('2026-05-01T12:30:00Z', null, false, now).state).toBe('soon');
    const late = slaClock('2026-05-01T11:00:00Z', null, false, now);
    expect(late.state).toBe('breached');
    expect(late.remainingMs).toBe(-3600_000);
  });
  it('is met when done in time, breached when done late or flagged by the server', () => {
    expect(slaClock('2026-05-01T11:00:00Z', '2026-05-01T10:00:00Z', false, now).state).toBe('met');
    expect(slaClock('2026-05-01T11:00:00Z', '2026-05-01T11:30:00Z', false, now).state).toBe('breached');
    expect(slaClock('2026-05-01T15:00:00Z', null, true, now).state).toBe('breached');
  });
  it('treats the epoch or nothing as no due time', () => {
    expect(slaClock('1970-01-01T00:00:00.000Z', null, false, now).state).toBe('none');
    expect(slaClock(null, null, false, now).state).toBe('none');
  });
  it('shows the first clock not met', () => {
    const inc = {
      status: 'in_progress',
      updated: '2026-05-01T11:00:00Z',
      closed_at: null,
      sla: {
        first_response_due: '2026-05-01T11:00:00Z',
        first_response_at: '2026-05-01T10:30:00Z',
        resolution_due: '2026-05-02T12:00:00Z',
        resolved_at: null,
        first_response_breached: false,
        resolution_breached: false,
      },
    } as unknown as Incident;
    expect(incidentSla(inc, now).firstResponse.state).toBe('met');
    expect(currentClock(inc, now)).toMatchObject({ which: 'resolution', clock: { state: 'pending' } });
    inc.sla!.first_response_at = null;
    expect(currentClock(inc, now)).toMatchObject({ which: 'firstResponse', clock: { state: 'breached' } });
  });
});

describe('colour scale', () => {
  it('is grey for zero and rises with the value', () => {
    expect(scaleStep(0, 100)).toBe(0);
    expect(scaleColour(0, 100)).toBe(SCALE_COLOURS[0]);
    expect(scaleStep(1, 100)).toBe(1);
    expect(scaleStep(20, 100)).toBe(1);
    expect(scaleStep(21, 100)).toBe(2);
    expect(scaleStep(100, 100)).toBe(5);
    expect(scaleStep(500, 100)).toBe(5);
  });
  it('has strictly increasing bounds even for tiny maxima', () => {
    expect(scaleBounds(0)).toEqual([1, 2, 3, 4, 5]);
    expect(scaleBounds(2)).toEqual([1, 2, 3, 4, 5]);
    const b = scaleBounds(1234);
    for (let i = 1; i < b.length; i++) expect(b[i]).toBeGreaterThan(b[i - 1]);
    expect(b[4]).toBe(1234);
  });
});
