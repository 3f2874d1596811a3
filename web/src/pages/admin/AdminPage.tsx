// Administration (admins only; the server answers 403/404 to anyone else): people, API keys,
// notification subscriptions and the audit log, for the organisations the admin may see.
import '../intel/console-pages.css';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, ApiError, SEVERITIES, type Role, type Subscription } from '../../api';
import { useSession } from '../../auth';
import { Badge, EmptyState, ErrorBox, Loading, Section, Table } from '../../components';
import { useApi } from '../../components/hooks';
import { useT } from '../../i18n';
import { auditQuery, subscriptionBody, type SubscriptionForm } from './adminModel';

type Tab = 'users' | 'keys' | 'subscriptions' | 'audit';
const TABS: Tab[] = ['users', 'keys', 'subscriptions', 'audit'];
const ROLES: Role[] = ['admin', 'analyst', 'responder', 'reporter', 'viewer'];

interface User {
  username: string;
  organisation: string;
  role: Role;
  display_name: string;
  created: string;
  disabled: boolean;
}
interface ApiKey {
  id: string;
  organisation: string;
  role: Role;
  label: string;
  created: string;
  revoked: boolean;
  revoked_at?: string;
}
interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  organisation: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

export default function AdminPage() {
  const t = useT();
  const { me, can } = useSession();
  const [tab, setTab] = useState<Tab>('users');
  const [org, setOrg] = useState(me?.organisation ?? '');
  const orgs = useApi<{ items: { id: string; name: string }[] }>('/api/v1/organisations');
  if (!can('admin')) return <ErrorBox error={new ApiError(403, 'denied', t('app.forbidden'))} />;
  return (
    <div className="page admin-page" data-testid="admin-page">
      <header className="page-head">
        <h1>{t('admin.title')}</h1>
        {(tab === 'users' || tab === 'keys') && (
          <label>
            <span>{t('admin.organisation')}</span>{' '}
            <select data-testid="admin-org" value={org} onChange={(e) => setOrg(e.target.value)}>
              {(orgs.data?.items ?? [{ id: org, name: me?.organisation_name ?? org }]).map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name || o.id}
                </option>
              ))}
            </select>
          </label>
        )}
      </header>
      <div className="tabs" role="tablist" aria-label={t('admin.title')}>
        {TABS.map((x) => (
          <button
            key={x}
            type="button"
            role="tab"
            aria-selected={tab === x}
            className={tab === x ? 'tab active' : 'tab'}
            data-testid={`admin-tab-${x}`}
            onClick={() => setTab(x)}
          >
            {t(`admin.tab.${x}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'users' && <Users org={org} self={me?.actor ?? ''} />}
        {tab === 'keys' && <Keys org={org} />}
        {tab === 'subscriptions' && <Subscriptions orgs={orgs.data?.items ?? []} />}
        {tab === 'audit' && <Audit />}
      </div>
    </div>
  );
}

function Failure({ error }: { error: unknown }) {
  return error ? <ErrorBox error={error} /> : null;
}

function Users({ org, self }: { org: string; self: string }) {
  const t = useT();
  const { data, error, loading, reload, setData } = useApi<{ items: User[] }>('/api/v1/users', { organisation: org });
  const [actionError, setActionError] = useState<unknown>(null);
  const [form, setForm] = useState({ username: '', display_name: '', role: 'analyst' as Role, password: '' });
  const toggle = async (u: User) => {
    setActionError(null);
    try {
      const changed = await api<User>(`/api/v1/users/${encodeURIComponent(u.username)}`, { method: 'PATCH', body: { disabled: !u.disabled } });
      if (data) setData({ items: data.items.map((x) => (x.username === u.username ? changed : x)) });
    } catch (e) {
      setActionError(e);
    }
  };
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setActionError(null);
    try {
      await api('/api/v1/users', { method: 'POST', body: { ...form, organisation: org } });
      setForm({ username: '', display_name: '', role: 'analyst', password: '' });
      reload();
    } catch (err) {
      setActionError(err);
    }
  };
  return (
    <>
      <Failure error={actionError} />
      {error ? (
        <ErrorBox error={error} onRetry={reload} />
      ) : loading && !data ? (
        <Loading />
      ) : (
        <Table<User>
          rowKey={(u) => u.username}
          rowTestId="user-row"
          rows={data?.items ?? []}
          columns={[
            { key: 'u', header: t('admin.username'), cell: (u) => <><strong>{u.username}</strong><br /><small className="muted">{u.display_name}</small></> },
            { key: 'role', header: t('admin.role'), cell: (u) => t(`auth.role.${u.role}`) },
            { key: 'created', header: t('admin.created'), cell: (u) => t.date(u.created) },
            { key: 'state', header: t('admin.state'), cell: (u) => (u.disabled ? t('admin.disabled') : t('admin.active')) },
            {
              key: 'act',
              header: '',
              cell: (u) =>
                `user:${u.username}` === self ? null : (
                  <button type="button" className={u.disabled ? '' : 'danger'} onClick={() => void toggle(u)} data-testid="user-toggle">
                    {u.disabled ? t('admin.enable') : t('admin.disable')}
                  </button>
                ),
            },
          ]}
        />
      )}
      <Section title={t('admin.addUser')} id="admin-add-user">
        <form className="form-grid" onSubmit={(e) => void create(e)}>
          <label>
            {t('admin.username')}
            <input required value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} />
          </label>
          <label>
            {t('admin.displayName')}
            <input value={form.display_name} onChange={(e) => setForm({ ...form, display_name: e.target.value })} />
          </label>
          <label>
            {t('admin.role')}
            <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`auth.role.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('admin.password')}
            <input type="password" autoComplete="new-password" minLength={12} required value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
          </label>
          <button type="submit" className="primary">
            {t('admin.create')}
          </button>
        </form>
      </Section>
    </>
  );
}

function Keys({ org }: { org: string }) {
  const t = useT();
  const { data, error, loading, reload } = useApi<{ items: ApiKey[] }>('/api/v1/keys', { organisation: org });
  const [actionError, setActionError] = useState<unknown>(null);
  const [made, setMade] = useState<{ id: string; key: string } | null>(null);
  const [role, setRole] = useState<Role>('reporter');
  const [label, setLabel] = useState('');
  useEffect(() => setMade(null), [org]);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setActionError(null);
    try {
      const k = await api<{ id: string; key: string }>('/api/v1/keys', { method: 'POST', body: { organisation: org, role, label } });
      setMade(k);
      setLabel('');
      reload();
    } catch (err) {
      setActionError(err);
    }
  };
  const revoke = async (k: ApiKey) => {
    if (!window.confirm(t('admin.revokeConfirm', { id: k.id }))) return;
    setActionError(null);
    try {
      await api(`/api/v1/keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' });
      reload();
    } catch (err) {
      setActionError(err);
    }
  };
  return (
    <>
      <Failure error={actionError} />
      {made && (
        <div className="card notice" role="status" data-testid="new-key">
          <p>{t('admin.keyOnce')}</p>
          <code className="wrap" data-testid="new-key-value">{made.key}</code>{' '}
          <button type="button" onClick={() => void navigator.clipboard?.writeText(made.key)}>
            {t('app.copy')}
          </button>{' '}
          <button type="button" onClick={() => setMade(null)}>
            {t('app.close')}
          </button>
        </div>
      )}
      {error ? (
        <ErrorBox error={error} onRetry={reload} />
      ) : loading && !data ? (
        <Loading />
      ) : (
        <Table<ApiKey>
          rowKey={(k) => k.id}
          rowTestId="key-row"
          rows={data?.items ?? []}
          empty={<EmptyState title={t('admin.noKeys')} />}
          columns={[
            { key: 'id', header: 'ID', cell: (k) => <code>{k.id}</code> },
            { key: 'label', header: t('admin.label'), cell: (k) => k.label },
            { key: 'role', header: t('admin.role'), cell: (k) => t(`auth.role.${k.role}`) },
            { key: 'created', header: t('admin.created'), cell: (k) => t.dateTime(k.created) },
            { key: 'state', header: t('admin.state'), cell: (k) => (k.revoked ? `${t('admin.revoked')} ${k.revoked_at ? t.dateTime(k.revoked_at) : ''}` : t('admin.active')) },
            {
              key: 'act',
              header: '',
              cell: (k) =>
                k.revoked ? null : (
                  <button type="button" className="danger" onClick={() => void revoke(k)}>
                    {t('admin.revoke')}
                  </button>
                ),
            },
          ]}
        />
      )}
      <Section title={t('admin.newKey')} id="admin-new-key">
        <form className="form-grid" onSubmit={(e) => void create(e)}>
          <label>
            {t('admin.label')}
            <input value={label} onChange={(e) => setLabel(e.target.value)} data-testid="key-label" />
          </label>
          <label>
            {t('admin.role')}
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`auth.role.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="primary" data-testid="key-create">
            {t('admin.create')}
          </button>
        </form>
      </Section>
    </>
  );
}

const EMPTY_SUB: SubscriptionForm = {
  topics: ['warnings'],
  min_severity: 'high',
  categories: '',
  orgs: [],
  channel: 'email',
  destination: '',
  secret: '',
  digest_minutes: 0,
  personal: false,
  language: '',
};

function Subscriptions({ orgs }: { orgs: { id: string; name: string }[] }) {
  const t = useT();
  const { data, error, loading, reload } = useApi<{ items: (Subscription & Record<string, unknown>)[] }>('/api/v1/subscriptions');
  const [form, setForm] = useState<SubscriptionForm>(EMPTY_SUB);
  const [actionError, setActionError] = useState<unknown>(null);
  const orgName = useMemo(() => new Map(orgs.map((o) => [o.id, o.name])), [orgs]);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setActionError(null);
    try {
      await api('/api/v1/subscriptions', { method: 'POST', body: subscriptionBody(form) });
      setForm(EMPTY_SUB);
      reload();
    } catch (err) {
      setActionError(err);
    }
  };
  const remove = async (id: number) => {
    if (!window.confirm(t('admin.deleteConfirm'))) return;
    setActionError(null);
    try {
      await api(`/api/v1/subscriptions/${id}`, { method: 'DELETE' });
      reload();
    } catch (err) {
      setActionError(err);
    }
  };
  const topics = ['warnings', 'incidents', 'sla_breach'];
  return (
    <>
      <Failure error={actionError} />
      {error ? (
        <ErrorBox error={error} onRetry={reload} />
      ) : loading && !data ? (
        <Loading />
      ) : (
        <Table
          rowKey={(s) => s.id}
          rowTestId="subscription-row"
          rows={data?.items ?? []}
          empty={<EmptyState title={t('admin.noSubscriptions')} />}
          columns={[
            { key: 'topics', header: t('admin.topics'), cell: (s) => s.topics.map((x) => t(`admin.topic.${x}`)).join(', ') },
            { key: 'sev', header: t('admin.minSeverity'), cell: (s) => <Badge kind="severity" value={s.min_severity} /> },
            { key: 'ch', header: t('admin.channel'), cell: (s) => `${t(`admin.channel.${s.channel}`)}${typeof s.destination === 'string' ? ` · ${s.destination}` : ''}` },
            { key: 'who', header: t('admin.scope'), cell: (s) => [s.username ? `${t('admin.personal')}: ${s.username}` : s.organisation, ...((s.orgs as string[] | undefined) ?? []).map((o) => orgName.get(o) ?? o)].join(', ') },
            { key: 'when', header: t('admin.delivery'), cell: (s) => ((s.digest_minutes as number) > 0 ? t('admin.digestEvery', { n: s.digest_minutes as number }) : t('admin.immediate')) },
            { key: 'on', header: t('admin.state'), cell: (s) => (s.enabled ? t('admin.active') : t('admin.disabled')) },
            { key: 'act', header: '', cell: (s) => <button type="button" className="danger" onClick={() => void remove(s.id)}>{t('admin.delete')}</button> },
          ]}
        />
      )}
      <Section title={t('admin.newSubscription')} id="admin-new-sub">
        <form className="form-grid" onSubmit={(e) => void create(e)} data-testid="subscription-form">
          <fieldset>
            <legend>{t('admin.topics')}</legend>
            {topics.map((x) => (
              <label key={x} className="inline">
                <input
                  type="checkbox"
                  checked={form.topics.includes(x)}
                  onChange={(e) => setForm({ ...form, topics: e.target.checked ? [...form.topics, x] : form.topics.filter((y) => y !== x) })}
                />{' '}
                {t(`admin.topic.${x}`)}
              </label>
            ))}
          </fieldset>
          <label>
            {t('admin.minSeverity')}
            <select value={form.min_severity} onChange={(e) => setForm({ ...form, min_severity: e.target.value })}>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {t(`severity.${s}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('admin.categories')}
            <input value={form.categories} placeholder="malware, phishing" onChange={(e) => setForm({ ...form, categories: e.target.value })} />
          </label>
          <label>
            {t('admin.orgsInScope')}
            <select multiple value={form.orgs} onChange={(e) => setForm({ ...form, orgs: [...e.target.selectedOptions].map((o) => o.value) })}>
              {orgs.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name || o.id}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('admin.channel')}
            <select value={form.channel} onChange={(e) => setForm({ ...form, channel: e.target.value as SubscriptionForm['channel'] })}>
              {(['email', 'webhook', 'web_push'] as const).map((c) => (
                <option key={c} value={c}>
                  {t(`admin.channel.${c}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t(`admin.destination.${form.channel}`)}
            {form.channel === 'web_push' ? (
              <textarea rows={3} required value={form.destination} placeholder='{"endpoint":"https://…","keys":{"p256dh":"…","auth":"…"}}' onChange={(e) => setForm({ ...form, destination: e.target.value })} />
            ) : (
              <input required type={form.channel === 'email' ? 'email' : 'url'} value={form.destination} onChange={(e) => setForm({ ...form, destination: e.target.value })} />
            )}
          </label>
          {form.channel === 'webhook' && (
            <label>
              {t('admin.secret')}
              <input required minLength={16} value={form.secret} onChange={(e) => setForm({ ...form, secret: e.target.value })} />
            </label>
          )}
          <label>
            {t('admin.delivery')}
            <select value={form.digest_minutes} onChange={(e) => setForm({ ...form, digest_minutes: Number(e.target.value) })}>
              <option value={0}>{t('admin.immediate')}</option>
              {[15, 60, 240, 1440].map((m) => (
                <option key={m} value={m}>
                  {t('admin.digestEvery', { n: m })}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('admin.language')}
            <select value={form.language} onChange={(e) => setForm({ ...form, language: e.target.value as SubscriptionForm['language'] })}>
              <option value="">{t('admin.languageDefault')}</option>
              <option value="vi">{t('lang.vi')}</option>
              <option value="en">{t('lang.en')}</option>
            </select>
          </label>
          <label className="inline">
            <input type="checkbox" checked={form.personal} onChange={(e) => setForm({ ...form, personal: e.target.checked })} /> {t('admin.personalOnly')}
          </label>
          <button type="submit" className="primary">
            {t('admin.create')}
          </button>
        </form>
      </Section>
    </>
  );
}

function Audit() {
  const t = useT();
  const [filters, setFilters] = useState({ actor: '', action: '', since: '', until: '' });
  const [applied, setApplied] = useState(filters);
  const [items, setItems] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const load = async (from: string | null, reset: boolean) => {
    setLoading(true);
    setError(null);
    try {
      const p = await api<{ items: AuditEntry[]; next_cursor: string | null }>('/api/v1/audit', { query: auditQuery(applied, from) });
      setItems((cur) => (reset ? p.items : [...cur, ...p.items]));
      setCursor(p.next_cursor || null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load(null, true);
  }, [applied]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <>
      <form
        className="toolbar filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <input placeholder={t('admin.actor')} aria-label={t('admin.actor')} value={filters.actor} onChange={(e) => setFilters({ ...filters, actor: e.target.value })} />
        <input placeholder={t('admin.action')} aria-label={t('admin.action')} value={filters.action} onChange={(e) => setFilters({ ...filters, action: e.target.value })} />
        <label>
          {t('admin.since')} <input type="datetime-local" value={filters.since} onChange={(e) => setFilters({ ...filters, since: e.target.value })} />
        </label>
        <label>
          {t('admin.until')} <input type="datetime-local" value={filters.until} onChange={(e) => setFilters({ ...filters, until: e.target.value })} />
        </label>
        <button type="submit">{t('admin.apply')}</button>
      </form>
      {error ? (
        <ErrorBox error={error} onRetry={() => void load(null, true)} />
      ) : loading && items.length === 0 ? (
        <Loading />
      ) : (
        <Table<AuditEntry>
          rowKey={(a) => a.id}
          rowTestId="audit-row"
          rows={items}
          empty={<EmptyState title={t('admin.noAudit')} />}
          columns={[
            { key: 'at', header: t('admin.at'), cell: (a) => t.dateTime(a.at) },
            { key: 'actor', header: t('admin.actor'), cell: (a) => <code>{a.actor}</code> },
            { key: 'org', header: t('admin.organisation'), cell: (a) => a.organisation },
            { key: 'action', header: t('admin.action'), cell: (a) => a.action },
            { key: 'target', header: t('admin.target'), cell: (a) => <code>{a.target}</code> },
            { key: 'detail', header: t('admin.detail'), cell: (a) => (Object.keys(a.detail ?? {}).length ? <code className="wrap">{JSON.stringify(a.detail)}</code> : '') },
          ]}
        />
      )}
      {cursor && (
        <button type="button" disabled={loading} onClick={() => void load(cursor, false)}>
          {loading ? t('app.loading') : t('app.more')}
        </button>
      )}
    </>
  );
}
