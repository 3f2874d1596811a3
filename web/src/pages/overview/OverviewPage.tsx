// The overview: totals, the provinces and sectors coloured by open warnings (each a link into
// the filtered queue), warnings over time, top rules / techniques / organisations and the live
// feed. Scope-aware: a provincial unit sees its province, a sector team its sector, a member
// only its own figures.
import { lazy, Suspense, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, type AreaCount, type Overview, type RefItem } from '../../api';
import { useMe } from '../../auth';
import { Badge, ErrorBox, Loading, Section, useApi, useStream } from '../../components';
import { useT, type T } from '../../i18n';
import { scaleBounds, scaleColour, scaleIsDark, scaleStep, SCALE_COLOURS } from '../../lib/colorScale';
import { LAYOUT_COLUMNS, PROVINCE_LAYOUT } from '../../lib/provinceLayout';
import { streamEventLink } from '../../stream';
import { findRef, refName, useReference } from '../../reference';

const Chart = lazy(() => import('../../components/Chart'));

type Range = '24h' | '7d' | '30d';
const RANGES: Record<Range, { ms: number; bucket: 'hour' | 'day' }> = {
  '24h': { ms: 86400_000, bucket: 'hour' },
  '7d': { ms: 7 * 86400_000, bucket: 'day' },
  '30d': { ms: 30 * 86400_000, bucket: 'day' },
};

function Legend({ max, t }: { max: number; t: T }) {
  const b = scaleBounds(max);
  return (
    <div className="legend" aria-label={t('overview.legend')}>
      <span>{t('overview.legend')}:</span>
      <span className="swatch" style={{ background: SCALE_COLOURS[0] }} /> 0
      {b.map((hi, i) => (
        <span key={i} className="row" style={{ gap: 4 }}>
          <span className="swatch" style={{ background: SCALE_COLOURS[i + 1] }} />
          {i === 0 ? `1–${t.num(hi)}` : `${t.num(b[i - 1] + 1)}–${t.num(hi)}`}
        </span>
      ))}
    </div>
  );
}

function Tile({ item, count, max, kind, t, style }: { item: RefItem; count?: AreaCount; max: number; kind: 'province' | 'sector'; t: T; style?: React.CSSProperties }) {
  const open = count?.open ?? 0;
  const step = scaleStep(open, max);
  const name = refName(item, t.lang);
  return (
    <Link
      to={`/warnings?${kind}=${encodeURIComponent(item.id)}`}
      className={`tile${scaleIsDark(step) ? ' dark' : ''}`}
      style={{ background: scaleColour(open, max), ...style }}
      data-testid={`${kind}-tile`}
      data-code={item.code}
      data-open={open}
      title={t('overview.tile', { name, open, total: count?.total ?? 0 })}
      aria-label={t('overview.tile', { name, open, total: count?.total ?? 0 })}
    >
      <span>{name}</span>
      <strong>{t.num(open)}</strong>
    </Link>
  );
}

function TopList<X>({ items, label, count, to, t }: { items: X[]; label: (x: X) => React.ReactNode; count: (x: X) => number; to: (x: X) => string; t: T }) {
  const max = Math.max(1, ...items.map(count));
  if (!items.length) return <p className="muted">{t('app.none')}</p>;
  return (
    <ol className="toplist">
      {items.slice(0, 10).map((x, i) => (
        <li key={i}>
          <div className="grow">
            <Link to={to(x)}>{label(x)}</Link>
            <div className="bar" style={{ width: `${(count(x) / max) * 100}%` }} />
          </div>
          <strong>{t.num(count(x))}</strong>
        </li>
      ))}
    </ol>
  );
}

function LiveFeed() {
  const t = useT();
  const s = useStream();
  return (
    <Section title={<><span className={`live-dot${s.connected ? ' on' : ''}`} aria-hidden="true" /> {t('overview.live')}</>} id="ov-live"
      actions={<span className="muted">{s.connected ? t('stream.connected') : t('stream.disconnected')}</span>}>
      {s.events.length === 0 ? <p className="muted">{t('overview.liveEmpty')}</p> : (
        <ul className="feed" data-testid="live-feed" aria-live="polite">
          {s.events.slice(0, 20).map((e) => {
            const link = streamEventLink(e);
            const sev = typeof e.data.severity === 'string' ? e.data.severity : '';
            const title = String(e.data.title ?? e.ref);
            return (
              <li key={`${e.seq}-${e.ref}`}>
                <span className="muted">{t.relative(e.receivedAt)}</span>
                {sev && <Badge kind="severity" value={sev} />}
                <span className="muted">{e.event}</span>
                {link ? <Link to={link}>{title}</Link> : title}
              </li>
            );
          })}
        </ul>
      )}
    </Section>
  );
}

export default function OverviewPage() {
  const t = useT();
  const me = useMe();
  const ref = useReference();
  const [range, setRange] = useState<Range>('7d');
  // Rounded to the minute so the query (and the request) stays the same between renders.
  const query = useMemo(() => {
    const now = Math.floor(Date.now() / 60000) * 60000;
    return { since: new Date(now - RANGES[range].ms).toISOString(), until: new Date(now).toISOString(), bucket: RANGES[range].bucket };
  }, [range]);
  const stats = useApi<Overview>('/api/v1/stats/overview', query);
  const missing = stats.error instanceof ApiError && (stats.error.status === 404 || stats.error.status === 405);
  const openCount = useApi<{ count: number }>(missing ? '/api/v1/warnings/count' : null, { status: ['new', 'acknowledged', 'in_progress'] });

  const d = stats.data;
  const scope = d?.scope ?? me.scope ?? { kind: 'national' as const };
  const provCounts = useMemo(() => {
    const m = new Map<string, AreaCount>();
    for (const p of d?.provinces ?? []) {
      const r = findRef(ref.provinces, p.code);
      m.set(r?.code ?? p.code, p);
    }
    return m;
  }, [d, ref]);
  const sectorCounts = useMemo(() => {
    const m = new Map<string, AreaCount>();
    for (const p of d?.sectors ?? []) m.set(findRef(ref.sectors, p.code)?.code ?? p.code, p);
    return m;
  }, [d, ref]);

  const provinces = scope.kind === 'province' ? ref.provinces.filter((p) => p.code === scope.province || p.id === scope.province) : scope.kind === 'national' ? ref.provinces : [];
  const sectors = scope.kind === 'sector' ? ref.sectors.filter((p) => p.code === scope.sector || p.id === scope.sector) : scope.kind === 'national' ? ref.sectors : [];
  const provMax = Math.max(0, ...[...provCounts.values()].map((x) => x.open));
  const sectorMax = Math.max(0, ...[...sectorCounts.values()].map((x) => x.open));
  const positioned = provinces.length > 1;

  const scopeLabel =
    scope.kind === 'national' ? t('overview.scope.national')
    : scope.kind === 'province' ? t('overview.scope.province', { name: refName(findRef(ref.provinces, scope.province), t.lang, scope.province ?? '') })
    : scope.kind === 'sector' ? t('overview.scope.sector', { name: refName(findRef(ref.sectors, scope.sector), t.lang, scope.sector ?? '') })
    : t('overview.scope.organisation', { name: me.organisation_name || me.organisation });

  const chartOption = useMemo(() => {
    const s = d?.series ?? [];
    const x = s.map((p) => (RANGES[range].bucket === 'hour' ? new Date(p.t).toLocaleTimeString(t.lang === 'vi' ? 'vi-VN' : 'en-GB', { hour: '2-digit', minute: '2-digit' }) : t.date(p.t)));
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 12, top: 30, bottom: 24 },
      xAxis: { type: 'category', data: x },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: t('overview.seriesAll'), type: 'bar', data: s.map((p) => p.count), itemStyle: { color: '#8fb3d6' } },
        { name: t('severity.high'), type: 'line', data: s.map((p) => p.high), itemStyle: { color: '#d9541e' }, smooth: true },
        { name: t('severity.critical'), type: 'line', data: s.map((p) => p.critical), itemStyle: { color: '#b0122b' }, smooth: true },
      ],
    };
  }, [d, range, t]);

  return (
    <div>
      <div className="page-head">
        <h1>{t('overview.title')} <small className="muted">· {scopeLabel}</small></h1>
        <label className="inline">
          {t('overview.range')}
          <select value={range} onChange={(e) => setRange(e.target.value as Range)} data-testid="overview-range">
            <option value="24h">{t('overview.range24h')}</option>
            <option value="7d">{t('overview.range7d')}</option>
            <option value="30d">{t('overview.range30d')}</option>
          </select>
        </label>
      </div>
      {missing ? (
        <p className="notice">{t('overview.unavailable')}</p>
      ) : stats.error ? (
        <ErrorBox error={stats.error} onRetry={stats.reload} />
      ) : null}
      <div className="stats">
        <Link to="/warnings?status=new&status=acknowledged&status=in_progress" className="stat">
          <span className="muted">{t('overview.openTotal')}</span>
          <span className="value" data-testid="open-total">{t.num(d?.open_total ?? openCount.data?.count)}</span>
        </Link>
        {d && (['critical', 'high', 'medium'] as const).map((s) => (
          <Link key={s} to={`/warnings?severity=${s}&status=new&status=acknowledged&status=in_progress`} className="stat">
            <Badge kind="severity" value={s} />
            <span className="value">{t.num(d.open_by_severity[s] ?? 0)}</span>
          </Link>
        ))}
        {d && (
          <Link to="/incidents" className="stat">
            <span className="muted">{t('overview.openIncidents')}</span>
            <span className="value">{t.num(d.incidents?.open ?? 0)}</span>
          </Link>
        )}
        {d && (
          <Link to="/incidents" className={`stat${(d.incidents?.sla_breached ?? 0) > 0 ? ' bad' : ''}`}>
            <span className="muted">{t('overview.slaBreached')}</span>
            <span className="value">{t.num(d.incidents?.sla_breached ?? 0)}</span>
          </Link>
        )}
      </div>
      {!d && !stats.error && <Loading />}
      <div className="grid-2">
        {provinces.length > 0 && (
          <Section title={t('overview.provinces')} id="ov-prov">
            <div className={`province-grid${positioned ? '' : ' ordered'}`} style={positioned ? { gridTemplateColumns: `repeat(${LAYOUT_COLUMNS}, minmax(0, 1fr))` } : undefined}>
              {provinces.map((p) => {
                const pos = positioned ? PROVINCE_LAYOUT[p.code] : undefined;
                return (
                  <Tile key={p.code} item={p} count={provCounts.get(p.code)} max={provMax} kind="province" t={t}
                    style={pos ? { gridColumn: pos[0] + 1, gridRow: pos[1] + 1 } : undefined} />
                );
              })}
            </div>
            <Legend max={provMax} t={t} />
          </Section>
        )}
        <div>
          {sectors.length > 0 && (
            <Section title={t('overview.sectors')} id="ov-sec">
              <div className="sector-grid">
                {sectors.map((s) => <Tile key={s.code} item={s} count={sectorCounts.get(s.code)} max={sectorMax} kind="sector" t={t} />)}
              </div>
              <Legend max={sectorMax} t={t} />
            </Section>
          )}
          {d && (
            <Section title={t('overview.series')} id="ov-series">
              <Suspense fallback={<Loading />}>
                <Chart option={chartOption} label={t('overview.series')} />
              </Suspense>
            </Section>
          )}
        </div>
      </div>
      {d && (
        <div className="grid-2">
          <Section title={t('overview.topRules')} id="ov-rules">
            <TopList t={t} items={d.top_rules} label={(r) => r.title || r.rule_id} count={(r) => r.count} to={(r) => `/warnings?rule=${encodeURIComponent(r.rule_id)}`} />
          </Section>
          <Section title={t('overview.topTechniques')} id="ov-tech">
            <TopList t={t} items={d.top_techniques} label={(r) => <span className="mono">{r.technique}</span>} count={(r) => r.count}
              to={(r) => `/warnings?q=${encodeURIComponent(r.technique)}`} />
          </Section>
          <Section title={t('overview.topOrgs')} id="ov-orgs">
            <TopList t={t} items={d.top_organisations} label={(r) => r.name || r.org_id} count={(r) => r.count} to={(r) => `/warnings?organisation=${encodeURIComponent(r.org_id)}`} />
          </Section>
          <LiveFeed />
        </div>
      )}
      {!d && <LiveFeed />}
    </div>
  );
}
