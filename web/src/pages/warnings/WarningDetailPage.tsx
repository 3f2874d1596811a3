// One warning: what the API gives (fields, entities, evidence events with their raw JSON),
// its history, status actions and escalation.
import { useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, type Page, type Warning, type WarningChange, type WarningStatus } from '../../api';
import { useSession } from '../../auth';
import { Badge, ErrorBox, Fields, Loading, Section, useApi } from '../../components';
import { EscalateDialog } from '../../components/EscalateDialog';
import { useT } from '../../i18n';
import { warningNext } from '../../permissions';
import { findRef, refName, useReference } from '../../reference';

const KNOWN = new Set(['id', 'organisation', 'detector', 'rule_id', 'title', 'severity', 'status', 'tags', 'tlp', 'entities', 'count',
  'first_seen', 'last_seen', 'created', 'updated', 'province', 'sectors', 'routed_to', 'evidence']);

function show(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function EvidenceEvent({ ev, n }: { ev: unknown; n: number }) {
  const t = useT();
  const o = ev && typeof ev === 'object' && !Array.isArray(ev) ? (ev as Record<string, unknown>) : null;
  const summary = o
    ? ['@timestamp', 'timestamp', 'event.action', 'event.code', 'source.ip', 'destination.ip', 'user.name', 'host.name', 'process.command_line', 'message']
        .map((k) => [k, o[k]] as const)
        .filter(([, v]) => v !== undefined && v !== '')
    : [];
  return (
    <li className="card" style={{ marginBottom: 8 }}>
      <strong>#{n + 1}</strong>{' '}
      {summary.length > 0 ? summary.map(([k, v]) => <span key={k} className="muted"> {k}: <span className="mono">{show(v)}</span>;</span>) : <span className="mono">{show(ev).slice(0, 160)}</span>}
      <details>
        <summary>{t('warning.rawJson')}</summary>
        <pre>{typeof ev === 'string' ? ev : JSON.stringify(ev, null, 2)}</pre>
      </details>
    </li>
  );
}

export default function WarningDetailPage() {
  const { id } = useParams();
  const t = useT();
  const ref = useReference();
  const navigate = useNavigate();
  const { can } = useSession();
  const w = useApi<Warning>(`/api/v1/warnings/${id}`);
  const history = useApi<Page<WarningChange>>(`/api/v1/warnings/${id}/history`);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [escalating, setEscalating] = useState(false);

  if (w.error) return <ErrorBox error={w.error} onRetry={w.reload} />;
  if (!w.data) return <Loading />;
  const x = w.data;

  async function setStatus(to: WarningStatus) {
    setBusy(true);
    setErr(null);
    try {
      const u = await api<Warning>(`/api/v1/warnings/${x.id}`, { method: 'PATCH', body: { status: to, comment } });
      w.setData({ ...x, ...u, evidence: x.evidence });
      setComment('');
      history.reload();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  }

  const province = findRef(ref.provinces, x.province);
  const extra = Object.entries(x).filter(([k]) => !KNOWN.has(k));
  return (
    <div>
      <p><Link to="/warnings">← {t('nav.warnings')}</Link></p>
      <div className="page-head">
        <h1 data-testid="warning-title">{x.title || x.rule_id} <span className="muted mono">#{x.id}</span></h1>
        <div className="row">
          <Badge kind="severity" value={x.severity} />
          <Badge kind="wstatus" value={x.status} testId="warning-status" />
          {x.tlp && <Badge kind="tlp" value={x.tlp} />}
        </div>
      </div>
      {(can('warning.change') || can('incident.report')) && (
        <Section title={t('warning.actions')} id="w-actions">
          {err !== null && <ErrorBox error={err} />}
          <div className="row">
            {can('warning.change') && (
              <>
                <input aria-label={t('warning.comment')} placeholder={t('warning.comment')} value={comment} onChange={(e) => setComment(e.target.value)} />
                {warningNext(x.status).map((s) => (
                  <button key={s} type="button" disabled={busy} data-testid={`warning-action-${s}`} onClick={() => void setStatus(s)}>
                    {t('warning.setStatus', { status: t(`wstatus.${s}`) })}
                  </button>
                ))}
              </>
            )}
            {can('incident.report') && (
              <button type="button" data-testid="warning-escalate" onClick={() => setEscalating(true)}>{t('warning.escalate')}</button>
            )}
          </div>
          {escalating && <EscalateDialog ids={[x.id]} onCancel={() => setEscalating(false)} onDone={(i) => navigate(`/incidents/${i.id}`)} />}
        </Section>
      )}
      <Section title={t('warning.other')} id="w-fields">
        <Fields
          items={[
            [t('warning.rule'), <Link to={`/warnings?rule=${encodeURIComponent(x.rule_id)}`} className="mono">{x.rule_id}</Link>],
            [t('warning.detector'), x.detector],
            [t('warning.organisation'), <Link to={`/warnings?organisation=${encodeURIComponent(x.organisation)}`}>{x.organisation}</Link>],
            [t('warning.province'), province ? refName(province, t.lang) : x.province],
            [t('warning.sectors'), x.sectors.map((s) => refName(findRef(ref.sectors, s), t.lang, s)).join(', ')],
            [t('warning.count'), t.num(x.count)],
            [t('warning.firstSeen'), t.dateTime(x.first_seen)],
            [t('warning.lastSeen'), t.dateTime(x.last_seen)],
            [t('warning.created'), t.dateTime(x.created)],
            [t('warning.updated'), t.dateTime(x.updated)],
            [t('warning.routedTo'), x.routed_to.join(', ')],
            [t('warning.tags'), x.tags.length ? <span className="row">{x.tags.map((g) => <Badge key={g} kind="plain" value={g} />)}</span> : ''],
            ...extra.map(([k, v]) => [k, <span className="mono">{show(v)}</span>] as [string, ReactNode]),
          ]}
        />
      </Section>
      <div className="grid-2">
        <Section title={t('warning.entities')} id="w-ent">
          {x.entities.length === 0 ? <p className="muted">{t('app.none')}</p> : (
            <ul>
              {x.entities.map((e, i) => (
                <li key={i}><span className="muted">{e.type}</span> <span className="mono">{e.value}</span>{' '}
                  <Link to={`/warnings?q=${encodeURIComponent(e.value)}`}>⌕</Link></li>
              ))}
            </ul>
          )}
        </Section>
        <Section title={t('warning.history')} id="w-hist">
          <div data-testid="warning-history">
            {history.error ? <ErrorBox error={history.error} /> : !history.data?.items.length ? <p className="muted">{t('warning.historyEmpty')}</p> : (
              <ul className="timeline">
                {history.data.items.map((h, i) => (
                  <li key={i}>
                    <Badge kind="wstatus" value={h.from} /> → <Badge kind="wstatus" value={h.to} /> <span className="muted">{h.actor} · {t.dateTime(h.at)}</span>
                    {h.comment && <div>{h.comment}</div>}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </Section>
      </div>
      <Section title={`${t('warning.evidence')} (${t.num(x.evidence?.length ?? 0)})`} id="w-ev">
        {x.evidence?.length ? <ol style={{ listStyle: 'none', padding: 0 }}>{x.evidence.map((ev, i) => <EvidenceEvent key={i} ev={ev} n={i} />)}</ol> : <p className="muted">{t('app.none')}</p>}
        <details>
          <summary>{t('warning.rawJson')} (warning)</summary>
          <pre>{JSON.stringify(x, null, 2)}</pre>
        </details>
      </Section>
    </div>
  );
}
