// Incidents: a list or a board by status, filters in the URL, SLA countdowns.
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, INCIDENT_STATUSES, SEVERITIES, type Incident, type Page } from '../../api';
import { useSession } from '../../auth';
import { Badge, ErrorBox, Loading, Table, useStreamEvents } from '../../components';
import { useT } from '../../i18n';
import { SlaBadge } from './SlaBadge';

const FILTER_KEYS = ['status', 'min_severity', 'team', 'assignee', 'category', 'organisation'] as const;

export default function IncidentsPage() {
  const t = useT();
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'board' ? 'board' : 'list';
  const query = useMemo(() => {
    const q: Record<string, string | string[] | undefined> = {};
    for (const k of FILTER_KEYS) q[k] = k === 'status' ? params.getAll(k) : params.get(k) ?? undefined;
    return q;
  }, [params]);
  const key = JSON.stringify(query);
  const [items, setItems] = useState<Incident[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);

  async function load(from: string | null, ctl?: AbortController) {
    setLoading(true);
    setError(null);
    try {
      const p = await api<Page<Incident>>('/api/v1/incidents', { query: { ...query, limit: 200, cursor: from ?? undefined }, signal: ctl?.signal });
      setItems((old) => (from ? [...old, ...p.items.filter((x) => !old.some((o) => o.id === x.id))] : p.items));
      setCursor(p.next_cursor ?? null);
    } catch (e) {
      if (!ctl?.signal.aborted) setError(e);
    } finally {
      if (!ctl?.signal.aborted) setLoading(false);
    }
  }
  useEffect(() => {
    const ctl = new AbortController();
    void load(null, ctl);
    return () => ctl.abort();
  }, [key, tick]); // eslint-disable-line react-hooks/exhaustive-deps
  useStreamEvents((e) => e.kind === 'incident' && setTick((x) => x + 1), () => setTick((x) => x + 1));

  const set = (k: string, v: string | string[]) => {
    const p = new URLSearchParams(params);
    p.delete(k);
    for (const x of Array.isArray(v) ? v : [v]) if (x) p.append(k, x);
    setParams(p);
  };

  return (
    <div>
      <div className="page-head">
        <h1>{t('incidents.title')}</h1>
        <div className="row">
          <div role="group" className="row" aria-label="view">
            <button type="button" aria-pressed={view === 'list'} data-testid="incidents-view-list" onClick={() => set('view', '')} className={view === 'list' ? 'primary' : ''}>{t('incidents.list')}</button>
            <button type="button" aria-pressed={view === 'board'} data-testid="incidents-view-board" onClick={() => set('view', 'board')} className={view === 'board' ? 'primary' : ''}>{t('incidents.board')}</button>
          </div>
          {can('incident.report') && <Link to="/incidents/new" className="button primary" data-testid="incident-new">{t('incidents.new')}</Link>}
        </div>
      </div>
      <div className="filters">
        {view === 'list' && (
          <label>
            {t('incidents.col.status')}
            <select value={params.get('status') ?? ''} onChange={(e) => set('status', e.target.value)}>
              <option value="">{t('app.all')}</option>
              {INCIDENT_STATUSES.map((s) => <option key={s} value={s}>{t(`istatus.${s}`)}</option>)}
            </select>
          </label>
        )}
        <label>
          {t('warnings.minSeverity')}
          <select value={params.get('min_severity') ?? ''} onChange={(e) => set('min_severity', e.target.value)}>
            <option value="">—</option>
            {SEVERITIES.map((s) => <option key={s} value={s}>{t(`severity.${s}`)}</option>)}
          </select>
        </label>
        {(['team', 'assignee', 'category', 'organisation'] as const).map((k) => (
          <label key={k}>
            {t(`incidents.filter.${k}`)}
            <input defaultValue={params.get(k) ?? ''} key={params.get(k) ?? ''} onBlur={(e) => e.target.value !== (params.get(k) ?? '') && set(k, e.target.value.trim())}
              onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()} />
          </label>
        ))}
      </div>
      {error !== null && <ErrorBox error={error} onRetry={() => setTick((x) => x + 1)} />}
      {loading && items.length === 0 ? <Loading /> : view === 'list' ? (
        <Table
          rows={items}
          rowKey={(i) => i.id}
          rowTestId="incident-row"
          caption={t('incidents.title')}
          empty={<p className="empty-state">{t('incidents.empty')}</p>}
          columns={[
            { key: 'ref', header: t('incidents.col.ref'), cell: (i) => <Link to={`/incidents/${i.id}`} className="mono">{i.ref}</Link> },
            { key: 'title', header: t('incidents.col.title'), cell: (i) => <Link to={`/incidents/${i.id}`}>{i.title}</Link> },
            { key: 'sev', header: t('incidents.col.severity'), cell: (i) => <Badge kind="severity" value={i.severity} /> },
            { key: 'status', header: t('incidents.col.status'), cell: (i) => <Badge kind="istatus" value={i.status} /> },
            { key: 'cat', header: t('incidents.col.category'), cell: (i) => <span className="mono">{i.category}</span> },
            { key: 'team', header: t('incidents.col.team'), cell: (i) => i.team },
            { key: 'sla', header: t('incidents.col.sla'), cell: (i) => <SlaBadge incident={i} /> },
            { key: 'upd', header: t('incidents.col.updated'), cell: (i) => <span title={t.dateTime(i.updated)}>{t.relative(i.updated)}</span> },
          ]}
        />
      ) : (
        <div className="board">
          {INCIDENT_STATUSES.map((s) => {
            const col = items.filter((i) => i.status === s);
            return (
              <section key={s} className="board-col" aria-label={t(`istatus.${s}`)}>
                <h2>{t(`istatus.${s}`)} <span className="muted">{t.num(col.length)}</span></h2>
                {col.map((i) => (
                  <Link key={i.id} to={`/incidents/${i.id}`} className="board-card" data-testid="incident-row" data-id={i.id}>
                    <div className="row"><span className="mono muted">{i.ref}</span><Badge kind="severity" value={i.severity} /></div>
                    <div>{i.title}</div>
                    <SlaBadge incident={i} />
                  </Link>
                ))}
              </section>
            );
          })}
        </div>
      )}
      {cursor && <p><button type="button" disabled={loading} onClick={() => void load(cursor)}>{t('incidents.loadMore')}</button></p>}
    </div>
  );
}
