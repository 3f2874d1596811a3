// One incident: fields and SLA, status transitions with a reason, tasks, observables, timeline
// and comments, evidence (upload, download, custody log) and the export archive.
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import {
  api, type Custody, type Evidence, type Incident, type IncidentChange, type IncidentStatus, type Observable, type Page, type Task, type TimelineEntry,
} from '../../api';
import { useSession } from '../../auth';
import { Badge, ErrorBox, Fields, Loading, Section, useApi } from '../../components';
import { useT } from '../../i18n';
import { incidentNext } from '../../permissions';
import { SlaBoth } from './SlaBadge';

const OBS_TYPES = ['ip', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'ja3', 'ja4', 'file_name', 'host', 'user', 'process', 'other'];
const SHAREABLE = new Set(['ip', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'ja3', 'ja4', 'file_name']);

function fmtSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function CustodyLog({ id }: { id: number }) {
  const t = useT();
  const c = useApi<Page<Custody>>(`/api/v1/evidence/${id}/custody`);
  if (c.error) return <ErrorBox error={c.error} />;
  if (!c.data) return <Loading />;
  return (
    <ul className="timeline">
      {c.data.items.map((x) => (
        <li key={x.id}><strong>{x.action}</strong> <span className="muted">{x.actor} ({x.organisation}) · {x.remote} · {t.dateTime(x.at)}</span></li>
      ))}
    </ul>
  );
}

export default function IncidentDetailPage() {
  const { id } = useParams();
  const t = useT();
  const { can } = useSession();
  const inc = useApi<Incident>(`/api/v1/incidents/${id}`);
  const history = useApi<Page<IncidentChange>>(`/api/v1/incidents/${id}/history`);
  const timeline = useApi<Page<TimelineEntry>>(`/api/v1/incidents/${id}/timeline`);
  const tasks = useApi<Page<Task>>(`/api/v1/incidents/${id}/tasks`);
  const observables = useApi<Page<Observable>>(`/api/v1/incidents/${id}/observables`);
  const evidence = useApi<Page<Evidence>>(`/api/v1/incidents/${id}/evidence`);
  const act = useAction();
  const [to, setTo] = useState<IncidentStatus | ''>('');
  const [reason, setReason] = useState('');
  const [taskTitle, setTaskTitle] = useState('');
  const [comment, setComment] = useState('');
  const [obsType, setObsType] = useState('ip');
  const [obsValue, setObsValue] = useState('');
  const [obsIndicator, setObsIndicator] = useState(false);
  const [custodyOf, setCustodyOf] = useState<number | null>(null);

  if (inc.error) return <ErrorBox error={inc.error} onRetry={inc.reload} />;
  if (!inc.data) return <Loading />;
  const x = inc.data;
  const base = `/api/v1/incidents/${x.id}`;
  const mayReport = can('incident.report');
  const mayChange = can('incident.change');

  const transition = (e: FormEvent) => {
    e.preventDefault();
    if (!to) return;
    void act.run(async () => {
      inc.setData(await api<Incident>(`${base}/status`, { method: 'POST', body: { to, reason } }));
      setTo('');
      setReason('');
      history.reload();
      timeline.reload();
    });
  };
  const addTask = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await api(`${base}/tasks`, { method: 'POST', body: { title: taskTitle } });
      setTaskTitle('');
      tasks.reload();
      timeline.reload();
    });
  };
  const setTask = (task: Task, status: Task['status']) =>
    void act.run(async () => {
      await api(`/api/v1/incidents/tasks/${task.id}`, { method: 'PATCH', body: { status } });
      tasks.reload();
    });
  const addComment = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await api(`${base}/comments`, { method: 'POST', body: { text: comment } });
      setComment('');
      timeline.reload();
    });
  };
  const addObservable = (type: string, value: string, indicator: boolean) =>
    act.run(async () => {
      await api(`${base}/observables`, { method: 'POST', body: { type, value, indicator } });
      observables.reload();
    });
  const upload = (files: FileList | null) => {
    const f = files?.[0];
    if (!f) return;
    void act.run(async () => {
      await api(`${base}/evidence`, { method: 'POST', raw: f, query: { name: f.name }, headers: { 'Content-Type': f.type || 'application/octet-stream' } });
      evidence.reload();
    });
  };

  return (
    <div>
      <p><Link to="/incidents">← {t('nav.incidents')}</Link></p>
      <div className="page-head">
        <h1 data-testid="incident-title"><span className="mono muted">{x.ref}</span> {x.title}</h1>
        <div className="row">
          <Badge kind="severity" value={x.severity} />
          <Badge kind="istatus" value={x.status} testId="incident-status" />
          <Badge kind="tlp" value={x.tlp} />
          {mayChange && <a className="button" href={`${base}/export`} download>{t('incident.export')}</a>}
        </div>
      </div>
      {act.error !== null && <ErrorBox error={act.error} />}
      <Section title={t('incident.status')} id="i-status" actions={<SlaBoth incident={x} />}>
        {mayChange && incidentNext(x.status).length > 0 && (
          <form className="row" onSubmit={transition}>
            <label>
              {t('incident.transition')}
              <select data-testid="incident-transition" value={to} onChange={(e) => setTo(e.target.value as IncidentStatus)} required>
                <option value="">—</option>
                {incidentNext(x.status).map((s) => <option key={s} value={s}>{t(`istatus.${s}`)}</option>)}
              </select>
            </label>
            <label className="grow">
              {t('incident.reason')}
              <input data-testid="incident-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
            </label>
            <button type="submit" className="primary" disabled={act.busy || !to}>{t('app.save')}</button>
          </form>
        )}
        <Fields
          items={[
            [t('incident.category'), <span className="mono">{x.category}</span>],
            [t('incident.pap'), `PAP:${x.pap.toUpperCase()}`],
            [t('incident.team'), x.team],
            [t('incident.assignee'), x.assignee],
            [t('incident.affected'), x.affected_orgs.join(', ')],
            [t('incident.reportedBy'), x.reported_by],
            [t('incident.source'), x.source],
            [t('incident.routedTo'), x.routed_to.join(', ')],
            [t('incident.created'), t.dateTime(x.created)],
            [t('warning.updated'), t.dateTime(x.updated)],
            [t('incident.warnings'), x.warning_ids.length ? <span className="row">{x.warning_ids.map((w) => <Link key={w} to={`/warnings/${w}`}>#{w}</Link>)}</span> : ''],
          ]}
        />
        {x.description && <><h3>{t('incident.description')}</h3><p style={{ whiteSpace: 'pre-wrap' }}>{x.description}</p></>}
      </Section>
      <div className="grid-2">
        <Section title={t('incident.tasks')} id="i-tasks">
          {tasks.error ? <ErrorBox error={tasks.error} /> : (
            <ul className="toplist">
              {(tasks.data?.items ?? []).map((k) => (
                <li key={k.id}>
                  <span className={k.status === 'done' ? 'muted' : ''} style={k.status === 'done' ? { textDecoration: 'line-through' } : undefined}>{k.title}</span>
                  <span className="row">
                    <Badge kind="plain" value={t(`incident.task.${k.status}`)} />
                    {mayReport && (k.status === 'open'
                      ? <button type="button" disabled={act.busy} onClick={() => setTask(k, 'done')}>{t('incident.taskDone')}</button>
                      : <button type="button" disabled={act.busy} onClick={() => setTask(k, 'open')}>{t('incident.taskReopen')}</button>)}
                  </span>
                </li>
              ))}
              {tasks.data?.items.length === 0 && <li className="muted">{t('incident.empty')}</li>}
            </ul>
          )}
          {mayReport && (
            <form className="row" onSubmit={addTask}>
              <input aria-label={t('incident.taskTitle')} placeholder={t('incident.taskTitle')} className="grow" required value={taskTitle} onChange={(e) => setTaskTitle(e.target.value)} />
              <button type="submit" data-testid="task-add" disabled={act.busy}>{t('incident.taskAdd')}</button>
            </form>
          )}
        </Section>
        <Section title={t('incident.observables')} id="i-obs">
          {observables.error ? <ErrorBox error={observables.error} /> : (
            <ul className="toplist">
              {(observables.data?.items ?? []).map((o) => (
                <li key={o.id}>
                  <span><span className="muted">{o.type}</span> <span className="mono">{o.value}</span> {o.indicator && <Badge kind="plain" value="IOC" />}</span>
                  {mayChange && SHAREABLE.has(o.type) && (
                    <button type="button" disabled={act.busy} onClick={() => void addObservable(o.type, o.value, !o.indicator)}>
                      {o.indicator ? t('incident.obsUnflag') : t('incident.obsIndicator')}
                    </button>
                  )}
                </li>
              ))}
              {observables.data?.items.length === 0 && <li className="muted">{t('incident.empty')}</li>}
            </ul>
          )}
          {mayReport && (
            <form className="row" onSubmit={(e) => { e.preventDefault(); void addObservable(obsType, obsValue, obsIndicator).then(() => setObsValue('')); }}>
              <select aria-label={t('incident.obsType')} value={obsType} onChange={(e) => setObsType(e.target.value)}>
                {OBS_TYPES.map((o) => <option key={o} value={o}>{o}</option>)}
              </select>
              <input aria-label={t('incident.obsValue')} placeholder={t('incident.obsValue')} className="grow" required value={obsValue} onChange={(e) => setObsValue(e.target.value)} />
              {mayChange && SHAREABLE.has(obsType) && (
                <label className="inline"><input type="checkbox" checked={obsIndicator} onChange={(e) => setObsIndicator(e.target.checked)} />{t('incident.obsIndicator')}</label>
              )}
              <button type="submit" data-testid="observable-add" disabled={act.busy}>{t('incident.obsAdd')}</button>
            </form>
          )}
        </Section>
      </div>
      <Section title={t('incident.evidence')} id="i-ev"
        actions={mayReport && (
          <label className="inline">
            {t('incident.upload')}
            <input type="file" data-testid="evidence-upload" disabled={act.busy} onChange={(e) => { upload(e.target.files); e.target.value = ''; }} />
          </label>
        )}>
        {evidence.error ? <ErrorBox error={evidence.error} /> : (
          <ul className="toplist">
            {(evidence.data?.items ?? []).map((v) => (
              <li key={v.id} style={{ flexWrap: 'wrap' }}>
                <span>
                  <strong>{v.name}</strong> <span className="muted">{v.media_type} · {fmtSize(v.size)} · {v.uploaded_by} · {t.dateTime(v.uploaded_at)}</span>
                  <div className="mono muted" style={{ fontSize: 11, wordBreak: 'break-all' }}>sha256 {v.sha256}</div>
                </span>
                <span className="row">
                  {mayChange && <a className="button" href={`/api/v1/evidence/${v.id}/content`} download={v.name}>{t('incident.download')}</a>}
                  <button type="button" aria-expanded={custodyOf === v.id} onClick={() => setCustodyOf(custodyOf === v.id ? null : v.id)}>{t('incident.custody')}</button>
                </span>
                {custodyOf === v.id && <div style={{ width: '100%' }}><CustodyLog id={v.id} /></div>}
              </li>
            ))}
            {evidence.data?.items.length === 0 && <li className="muted">{t('incident.empty')}</li>}
          </ul>
        )}
      </Section>
      <div className="grid-2">
        <Section title={t('incident.timeline')} id="i-tl">
          {mayReport && (
            <form onSubmit={addComment}>
              <textarea aria-label={t('incident.comment')} placeholder={t('incident.comment')} required value={comment} onChange={(e) => setComment(e.target.value)} />
              <p><button type="submit" data-testid="comment-add" disabled={act.busy}>{t('incident.commentAdd')}</button></p>
            </form>
          )}
          {timeline.error ? <ErrorBox error={timeline.error} /> : (
            <ul className="timeline">
              {[...(timeline.data?.items ?? [])].reverse().map((e) => (
                <li key={e.id}>
                  <span className="muted">{e.kind} · {e.author} · {t.dateTime(e.at)}</span>
                  <div>{typeof e.body.text === 'string' ? <span style={{ whiteSpace: 'pre-wrap' }}>{e.body.text}</span> : <code>{JSON.stringify(e.body)}</code>}</div>
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title={t('incident.history')} id="i-hist">
          <ul className="timeline">
            {(history.data?.items ?? []).map((h, i) => (
              <li key={i}>
                <Badge kind="istatus" value={h.from} /> → <Badge kind="istatus" value={h.to} /> <span className="muted">{h.actor} · {t.dateTime(h.at)}</span>
                {h.reason && <div>{h.reason}</div>}
              </li>
            ))}
          </ul>
        </Section>
      </div>
    </div>
  );
}
