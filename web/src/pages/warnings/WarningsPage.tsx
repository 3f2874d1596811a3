// The warning queue: filters and sort in the URL, done by the server; pages of 200 by cursor as
// the person scrolls (virtualised rows); total from /count; multi-select and bulk actions; new
// warnings from the stream shown as a bar, never inserted under the reader's eyes.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, SEVERITIES, WARNING_STATUSES, type BulkAction, type Page, type Warning } from '../../api';
import { useSession } from '../../auth';
import { Badge, ErrorBox, useApi, useStreamEvents } from '../../components';
import { EscalateDialog } from '../../components/EscalateDialog';
import { useT } from '../../i18n';
import { BULK_STATUS, bulkUpdate } from '../../lib/bulk';
import { Pager } from '../../lib/pager';
import {
  DEFAULT_FILTERS, filterQuery, filtersFromSearch, filtersToSearch, hasFilters, listQuery, SORTS, type WarningFilters,
} from '../../lib/warningFilters';
import { refName, useReference } from '../../reference';

export const PAGE_SIZE = 200;

function fetchWarnings(f: WarningFilters, cursor: string | null, limit: number, signal: AbortSignal) {
  return api<Page<Warning>>('/api/v1/warnings', { query: { ...listQuery(f), limit, cursor: cursor ?? undefined }, signal });
}

function useIsPhone(): boolean {
  const q = '(max-width: 700px)';
  const [m, setM] = useState(() => typeof window !== 'undefined' && window.matchMedia?.(q).matches);
  useEffect(() => {
    const mq = window.matchMedia?.(q);
    if (!mq) return;
    const on = () => setM(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return !!m;
}

function toLocalInput(v?: string): string {
  if (!v) return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return '';
  const off = d.getTimezoneOffset() * 60000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

function Filters({ f, set }: { f: WarningFilters; set: (f: WarningFilters) => void }) {
  const t = useT();
  const ref = useReference();
  const [q, setQ] = useState(f.q ?? '');
  useEffect(() => setQ(f.q ?? ''), [f.q]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    set({ ...f, q: q.trim() || undefined });
  };
  const toggleStatus = (s: (typeof WARNING_STATUSES)[number]) =>
    set({ ...f, status: f.status.includes(s) ? f.status.filter((x) => x !== s) : [...f.status, s] });
  const text = (k: 'organisation' | 'rule') => (
    <label>
      {t(`warnings.${k}`)}
      <input defaultValue={f[k] ?? ''} key={f[k] ?? ''} onBlur={(e) => set({ ...f, [k]: e.target.value.trim() || undefined })}
        onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()} />
    </label>
  );
  return (
    <form className="filters" onSubmit={submit} role="search" aria-label={t('warnings.filters')}>
      <label>
        {t('warnings.search')}
        <input type="search" data-testid="filter-q" value={q} onChange={(e) => setQ(e.target.value)} placeholder="ssh, 10.0.0.1…" />
      </label>
      <fieldset className="status-set">
        <legend className="sr-only">{t('warnings.status')}</legend>
        {WARNING_STATUSES.map((s) => (
          <label key={s} className="inline">
            <input type="checkbox" data-testid={`filter-status-${s}`} checked={f.status.includes(s)} onChange={() => toggleStatus(s)} />
            {t(`wstatus.${s}`)}
          </label>
        ))}
      </fieldset>
      <label>
        {t('warnings.severity')}
        <select data-testid="filter-severity" value={f.severity[0] ?? ''} onChange={(e) => set({ ...f, severity: e.target.value ? [e.target.value as Warning['severity']] : [] })}>
          <option value="">{t('app.all')}</option>
          {SEVERITIES.map((s) => <option key={s} value={s}>{t(`severity.${s}`)}</option>)}
        </select>
      </label>
      <label>
        {t('warnings.minSeverity')}
        <select value={f.min_severity ?? ''} onChange={(e) => set({ ...f, min_severity: (e.target.value || undefined) as WarningFilters['min_severity'] })}>
          <option value="">—</option>
          {SEVERITIES.map((s) => <option key={s} value={s}>{t(`severity.${s}`)}</option>)}
        </select>
      </label>
      <label>
        {t('warnings.province')}
        <select value={f.province ?? ''} onChange={(e) => set({ ...f, province: e.target.value || undefined })}>
          <option value="">{t('app.all')}</option>
          {ref.provinces.map((p) => <option key={p.id} value={p.id}>{refName(p, t.lang)}</option>)}
        </select>
      </label>
      <label>
        {t('warnings.sector')}
        <select value={f.sector ?? ''} onChange={(e) => set({ ...f, sector: e.target.value || undefined })}>
          <option value="">{t('app.all')}</option>
          {ref.sectors.map((p) => <option key={p.id} value={p.id}>{refName(p, t.lang)}</option>)}
        </select>
      </label>
      {text('organisation')}
      {text('rule')}
      <label>
        {t('warnings.since')}
        <input type="datetime-local" value={toLocalInput(f.since)} onChange={(e) => set({ ...f, since: e.target.value ? new Date(e.target.value).toISOString() : undefined })} />
      </label>
      <label>
        {t('warnings.until')}
        <input type="datetime-local" value={toLocalInput(f.until)} onChange={(e) => set({ ...f, until: e.target.value ? new Date(e.target.value).toISOString() : undefined })} />
      </label>
      <label>
        {t('warnings.sort')}
        <select data-testid="filter-sort" value={f.sort} onChange={(e) => set({ ...f, sort: e.target.value as WarningFilters['sort'] })}>
          {SORTS.map((s) => <option key={s} value={s}>{t(`warnings.sort.${s}`)}</option>)}
        </select>
      </label>
      <label>
        {t('warnings.order')}
        <select value={f.order} onChange={(e) => set({ ...f, order: e.target.value as WarningFilters['order'] })}>
          <option value="desc">{t('warnings.order.desc')}</option>
          <option value="asc">{t('warnings.order.asc')}</option>
        </select>
      </label>
      <button type="submit" className="primary">{t('warnings.search')}</button>
      {hasFilters(f) && <button type="button" onClick={() => set({ ...DEFAULT_FILTERS, sort: f.sort, order: f.order })}>{t('warnings.clearFilters')}</button>}
    </form>
  );
}

export default function WarningsPage() {
  const t = useT();
  const { can } = useSession();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const search = filtersToSearch(filtersFromSearch(params));
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const setFilters = (f: WarningFilters) => setParams(new URLSearchParams(filtersToSearch(f)), { replace: false });

  const pagerRef = useRef<Pager<Warning, WarningFilters> | null>(null);
  pagerRef.current ??= new Pager<Warning, WarningFilters>(fetchWarnings, filters, PAGE_SIZE);
  const pager = pagerRef.current;
  const state = useSyncExternalStore(pager.subscribe, pager.getState, pager.getState);
  const countQuery = useMemo(() => filterQuery(filters), [filters]);
  const count = useApi<{ count: number }>('/api/v1/warnings/count', countQuery);

  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [fresh, setFresh] = useState(0);
  const [toast, setToast] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [escalating, setEscalating] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void pager.setQuery(filters);
    setSelected(new Set());
    setFresh(0);
  }, [pager, filters]);

  const refresh = () => {
    setFresh(0);
    void pager.reload();
    count.reload();
  };
  useStreamEvents(
    (e) => {
      if (e.kind === 'warning' && e.event === 'warning.created') setFresh((n) => n + 1);
    },
    () => refresh(),
  );

  useEffect(() => {
    if (!toast) return;
    const id = window.setTimeout(() => setToast(null), 5000);
    return () => window.clearTimeout(id);
  }, [toast]);

  const phone = useIsPhone();
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = state.items;
  const virtualizer = useVirtualizer({
    count: rows.length + (state.done ? 0 : 1),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => (phone ? 92 : 44),
    overscan: 12,
  });
  const virtualItems = virtualizer.getVirtualItems();
  const lastIndex = virtualItems.length ? virtualItems[virtualItems.length - 1].index : -1;
  useEffect(() => {
    if (lastIndex >= rows.length - 40 && !state.done && !state.loading && !state.error) void pager.loadMore();
  }, [lastIndex, rows.length, state.done, state.loading, state.error, pager]);
  useEffect(() => virtualizer.measure(), [phone]); // eslint-disable-line react-hooks/exhaustive-deps

  const toggle = (id: number) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const mayChange = can('warning.change');
  const mayEscalate = can('incident.report');

  async function runBulk(action: BulkAction) {
    const ids = [...selected];
    if (!ids.length) return;
    setBusy(true);
    try {
      const r = await bulkUpdate(ids, action, comment);
      const ok = r.results.filter((x) => x.ok).map((x) => ({ id: x.id, status: BULK_STATUS[action] }));
      pager.patch(ok);
      const failed = r.results.filter((x) => !x.ok);
      setToast(t('warnings.bulk.done', { n: r.updated }) + (failed.length ? ` · ${t('warnings.bulk.failed', { n: failed.length })}: ${failed.slice(0, 3).map((f) => `#${f.id} ${f.error ?? ''}`).join('; ')}` : ''));
      setSelected(new Set(failed.map((f) => f.id)));
      setComment('');
      count.reload();
    } catch (e) {
      setToast(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div>
      <div className="page-head">
        <h1>{t('warnings.title')}</h1>
        <span className="muted" data-testid="warnings-total">
          {count.data ? t('warnings.total', { n: count.data.count }) : '…'} · {t('warnings.loaded', { n: rows.length })}
        </span>
      </div>
      <Filters f={filters} set={setFilters} />
      {fresh > 0 && (
        <button type="button" className="new-bar" data-testid="new-warnings-bar" onClick={refresh}>
          {t('warnings.newArrived', { n: fresh })}
        </button>
      )}
      <div className="queue-bar">
        {selected.size > 0 && (
          <div className="bulk" role="group" aria-label={t('warnings.selected', { n: selected.size })}>
            <strong>{t('warnings.selected', { n: selected.size })}</strong>
            {mayChange && (
              <>
                <input aria-label={t('warnings.bulk.comment')} placeholder={t('warnings.bulk.comment')} value={comment} onChange={(e) => setComment(e.target.value)} />
                <button type="button" disabled={busy} data-testid="bulk-acknowledge" onClick={() => void runBulk('acknowledge')}>{t('warnings.bulk.acknowledge')}</button>
                <button type="button" disabled={busy} data-testid="bulk-in-progress" onClick={() => void runBulk('in_progress')}>{t('warnings.bulk.in_progress')}</button>
                <button type="button" disabled={busy} data-testid="bulk-resolve" onClick={() => void runBulk('resolve')}>{t('warnings.bulk.resolve')}</button>
                <button type="button" disabled={busy} data-testid="bulk-false-positive" onClick={() => void runBulk('false_positive')}>{t('warnings.bulk.false_positive')}</button>
              </>
            )}
            {mayEscalate && (
              <button type="button" disabled={busy} data-testid="bulk-escalate" onClick={() => setEscalating(true)}>{t('warnings.bulk.escalate')}</button>
            )}
            <button type="button" className="linkish" onClick={() => setSelected(new Set())}>{t('warnings.clearSelection')}</button>
          </div>
        )}
      </div>
      {escalating && (
        <EscalateDialog
          ids={[...selected]}
          onCancel={() => setEscalating(false)}
          onDone={(inc) => {
            setEscalating(false);
            setSelected(new Set());
            navigate(`/incidents/${inc.id}`);
          }}
        />
      )}
      {state.error && rows.length === 0 ? (
        <ErrorBox error={state.error} onRetry={() => void pager.retry()} />
      ) : (
        <div className="queue" ref={scrollRef} role="table" aria-label={t('warnings.title')} aria-rowcount={count.data?.count ?? -1}>
          <div className="queue-head" role="row">
            <span role="columnheader">
              <input type="checkbox" className="checkbox" data-testid="select-all" aria-label={t('warnings.selectAll')} checked={allSelected}
                onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))} />
            </span>
            <span role="columnheader">{t('warnings.col.id')}</span>
            <span role="columnheader">{t('warnings.col.title')}</span>
            <span role="columnheader">{t('warnings.col.severity')}</span>
            <span role="columnheader">{t('warnings.col.status')}</span>
            <span role="columnheader">{t('warnings.col.org')}</span>
            <span role="columnheader">{t('warnings.col.count')}</span>
            <span role="columnheader">{t('warnings.col.lastSeen')}</span>
          </div>
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualItems.map((v) => {
              const w = rows[v.index];
              if (!w)
                return (
                  <div key="loader" className="queue-row queue-foot" style={{ top: v.start, height: v.size }} role="row">
                    {state.error ? <button type="button" onClick={() => void pager.retry()}>{t('app.retry')}</button> : t('app.loading')}
                  </div>
                );
              const sel = selected.has(w.id);
              return (
                <div key={w.id} role="row" data-testid="warning-row" data-id={w.id} className={`queue-row${sel ? ' selected' : ''}`}
                  style={{ top: v.start, height: v.size }} aria-selected={sel}>
                  <span className="c-check" role="cell">
                    <input type="checkbox" className="checkbox" data-testid="warning-checkbox" checked={sel} onChange={() => toggle(w.id)}
                      aria-label={t('warnings.select', { id: w.id })} />
                  </span>
                  <span className="c-id cell-sm mono" role="cell">#{w.id}</span>
                  <span className="c-title title" role="cell"><Link to={`/warnings/${w.id}`}>{w.title || w.rule_id}</Link></span>
                  <span className="c-sev" role="cell"><Badge kind="severity" value={w.severity} /></span>
                  <span className="c-status" role="cell"><Badge kind="wstatus" value={w.status} /></span>
                  <span className="c-org cell-sm" role="cell" title={w.organisation}>{w.organisation}</span>
                  <span className="c-count cell-sm" role="cell">{t.num(w.count)}</span>
                  <span className="c-seen cell-sm" role="cell" title={t.dateTime(w.last_seen)}>{t.relative(w.last_seen)}</span>
                </div>
              );
            })}
          </div>
          {state.done && rows.length === 0 && <div className="empty-state">{t('warnings.empty')}</div>}
        </div>
      )}
      {state.done && rows.length > 0 && <p className="muted queue-foot">{t('warnings.end')}</p>}
      {toast && <div className="toast" role="status">{toast}</div>}
    </div>
  );
}
