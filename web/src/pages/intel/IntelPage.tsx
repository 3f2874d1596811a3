// Threat intelligence: indicators (with their sightings in the caller's scope), feeds and their
// state, the TAXII 2.1 collections the caller may use, and the malware repository's samples.
import '../intel/console-pages.css';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../../api';
import { useSession } from '../../auth';
import { Badge, EmptyState, ErrorBox, Fields, Loading, Table } from '../../components';
import { useApi } from '../../components/hooks';
import { useT } from '../../i18n';
import {
  filterIndicators, observableTypes, observableValues, sampleVerdict, taxiiRootPath, typesOf,
  type Indicator, type Sample,
} from './intelModel';

const TAXII = 'application/taxii+json;version=2.1';
type Tab = 'indicators' | 'feeds' | 'taxii' | 'samples';
const TABS: Tab[] = ['indicators', 'feeds', 'taxii', 'samples'];

/** Pages of a cursor-paged list, appended by more(). */
function useCursorList<T>(path: string, limit: number) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [done, setDone] = useState(false);
  const load = useCallback(
    async (from: string | null, reset: boolean) => {
      setLoading(true);
      setError(null);
      try {
        const p = await api<{ items: T[]; next_cursor?: string | null }>(path, { query: { limit, cursor: from ?? undefined } });
        setItems((cur) => (reset ? p.items : [...cur, ...p.items]));
        setCursor(p.next_cursor || null);
        setDone(!p.next_cursor);
      } catch (e) {
        setError(e);
      } finally {
        setLoading(false);
      }
    },
    [path, limit],
  );
  useEffect(() => {
    void load(null, true);
  }, [load]);
  return { items, error, loading, done, more: () => void load(cursor, false), reload: () => void load(null, true) };
}

export default function IntelPage() {
  const t = useT();
  const initial = (new URLSearchParams(window.location.search).get('tab') as Tab) || 'indicators';
  const [tab, setTab] = useState<Tab>(TABS.includes(initial) ? initial : 'indicators');
  return (
    <div className="page intel-page" data-testid="intel-page">
      <header className="page-head">
        <h1>{t('intel.title')}</h1>
      </header>
      <div className="tabs" role="tablist" aria-label={t('intel.title')}>
        {TABS.map((x) => (
          <button
            key={x}
            type="button"
            role="tab"
            id={`intel-tab-${x}`}
            aria-selected={tab === x}
            aria-controls={`intel-panel-${x}`}
            className={tab === x ? 'tab active' : 'tab'}
            data-testid={`intel-tab-${x}`}
            onClick={() => setTab(x)}
          >
            {t(`intel.tab.${x}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`intel-panel-${tab}`} aria-labelledby={`intel-tab-${tab}`}>
        {tab === 'indicators' && <Indicators />}
        {tab === 'feeds' && <Feeds />}
        {tab === 'taxii' && <Taxii />}
        {tab === 'samples' && <Samples />}
      </div>
    </div>
  );
}

function Indicators() {
  const t = useT();
  const list = useCursorList<Indicator>('/api/v1/intel/indicators', 200);
  const [type, setType] = useState('');
  const [text, setText] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const types = useMemo(() => typesOf(list.items), [list.items]);
  const rows = useMemo(() => filterIndicators(list.items, type, text), [list.items, type, text]);
  return (
    <>
      <div className="toolbar filters" role="search">
        <input
          type="search"
          data-testid="intel-search"
          placeholder={t('intel.search')}
          aria-label={t('intel.search')}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <label>
          <span>{t('intel.type')}</span>{' '}
          <select data-testid="intel-type" value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">{t('app.all')}</option>
            {types.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">{t('intel.shown', { n: rows.length, total: list.items.length })}</span>
      </div>
      {list.error ? (
        <ErrorBox error={list.error} onRetry={list.reload} />
      ) : list.loading && list.items.length === 0 ? (
        <Loading />
      ) : (
        <Table<Indicator>
          rowKey={(i) => i.ref}
          rowTestId="indicator-row"
          rows={rows}
          caption={t('intel.tab.indicators')}
          empty={<EmptyState title={t('intel.noIndicators')} />}
          columns={[
            {
              key: 'value',
              header: t('intel.col.value'),
              cell: (i) => (
                <button type="button" className="linkish mono" onClick={() => setOpen(i.ref)} data-testid="indicator-open">
                  {observableValues(i).slice(0, 2).join(', ') || i.pattern}
                </button>
              ),
            },
            { key: 'type', header: t('intel.col.type'), cell: (i) => observableTypes(i).join(', ') },
            { key: 'name', header: t('intel.col.name'), cell: (i) => i.name },
            { key: 'tlp', header: 'TLP', cell: (i) => <Badge kind="tlp" value={i.tlp} /> },
            { key: 'score', header: t('intel.col.score'), className: 'num', cell: (i) => t.num(Math.round(i.score)) },
            { key: 'source', header: t('intel.col.source'), cell: (i) => i.source },
            { key: 'modified', header: t('intel.col.modified'), cell: (i) => t.dateTime(i.modified) },
          ]}
        />
      )}
      {!list.done && !list.error && (
        <button type="button" disabled={list.loading} onClick={list.more} data-testid="intel-more">
          {list.loading ? t('app.loading') : t('app.more')}
        </button>
      )}
      {open && <IndicatorDrawer indicatorRef={open} onClose={() => setOpen(null)} />}
    </>
  );
}

function IndicatorDrawer({ indicatorRef, onClose }: { indicatorRef: string; onClose: () => void }) {
  const t = useT();
  const { data, error, loading } = useApi<Indicator>(`/api/v1/intel/indicators/${encodeURIComponent(indicatorRef)}`);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="drawer-backdrop" onClick={onClose}>
      <aside
        className="drawer card"
        role="dialog"
        aria-modal="true"
        aria-label={t('intel.indicator')}
        data-testid="indicator-drawer"
        onClick={(e) => e.stopPropagation()}
      >
        <header className="section-head">
          <h2>{data?.name || t('intel.indicator')}</h2>
          <button type="button" onClick={onClose} aria-label={t('app.close')}>
            ✕
          </button>
        </header>
        {error ? (
          <ErrorBox error={error} />
        ) : loading || !data ? (
          <Loading />
        ) : (
          <>
            <Fields
              items={[
                [t('intel.col.ref'), <code key="r">{data.ref}</code>],
                [t('intel.pattern'), <code key="p" className="wrap">{data.pattern}</code>],
                [t('intel.description'), data.description],
                ['TLP', <Badge key="t" kind="tlp" value={data.tlp} />],
                [t('intel.confidence'), t.num(data.confidence)],
                [t('intel.col.score'), t.num(Math.round(data.score))],
                [t('intel.col.source'), data.source],
                [t('intel.collection'), data.collection],
                [t('intel.validFrom'), t.dateTime(data.valid_from)],
                [t('intel.validUntil'), data.valid_until ? t.dateTime(data.valid_until) : ''],
                [t('intel.tags'), (data.tags ?? []).join(', ')],
                ['ATT&CK', (data.attack ?? []).join(', ')],
              ]}
            />
            <h3>{t('intel.sightings')}</h3>
            <Table
              rowKey={(s) => s.organisation}
              rows={data.sightings ?? []}
              empty={<p className="muted">{t('intel.noSightings')}</p>}
              columns={[
                { key: 'org', header: t('intel.col.organisation'), cell: (s) => s.organisation },
                { key: 'count', header: t('intel.col.count'), className: 'num', cell: (s) => t.num(s.count) },
                { key: 'first', header: t('intel.col.firstSeen'), cell: (s) => t.dateTime(s.first_seen) },
                { key: 'last', header: t('intel.col.lastSeen'), cell: (s) => t.dateTime(s.last_seen) },
              ]}
            />
          </>
        )}
      </aside>
    </div>
  );
}

interface Feed {
  name: string;
  description: string;
  url: string;
  enabled: boolean;
  schedule_s: number;
  tlp: string;
  indicators: number;
  last_attempt: string;
  last_success: string;
  last_error: string;
}

function Feeds() {
  const t = useT();
  const { data, error, loading, reload } = useApi<{ items: Feed[] }>('/api/v1/intel/feeds');
  if (error) return <ErrorBox error={error} onRetry={reload} />;
  if (loading || !data) return <Loading />;
  const state = (f: Feed) => (!f.enabled ? 'disabled' : f.last_error ? 'failing' : f.last_success ? 'ok' : 'pending');
  return (
    <Table<Feed>
      rowKey={(f) => f.name}
      rowTestId="feed-row"
      rows={data.items}
      empty={<EmptyState title={t('intel.noFeeds')} />}
      columns={[
        { key: 'name', header: t('intel.col.name'), cell: (f) => <><strong>{f.name}</strong><br /><small className="muted">{f.description}</small></> },
        { key: 'state', header: t('intel.col.state'), cell: (f) => <span className={`feed-state feed-${state(f)}`}>{t(`intel.feed.${state(f)}`)}</span> },
        { key: 'last', header: t('intel.col.lastPull'), cell: (f) => (f.last_success ? t.dateTime(f.last_success) : '—') },
        { key: 'count', header: t('intel.col.indicators'), className: 'num', cell: (f) => t.num(f.indicators) },
        { key: 'every', header: t('intel.col.schedule'), cell: (f) => (f.schedule_s ? t('intel.everyMinutes', { n: Math.round(f.schedule_s / 60) }) : '—') },
        { key: 'tlp', header: 'TLP', cell: (f) => <Badge kind="tlp" value={f.tlp} /> },
        { key: 'error', header: t('intel.col.error'), cell: (f) => (f.last_error ? <span className="error-text">{f.last_error}</span> : '') },
      ]}
    />
  );
}

interface Collection {
  id: string;
  title: string;
  description?: string;
  alias?: string;
  can_read: boolean;
  can_write: boolean;
  media_types?: string[];
}

function Taxii() {
  const t = useT();
  const [state, setState] = useState<{ title?: string; root?: string; collections?: Collection[]; error?: unknown }>({});
  useEffect(() => {
    const ctl = new AbortController();
    const headers = { Accept: TAXII };
    (async () => {
      try {
        const d = await api<{ title: string; default?: string; api_roots?: string[] }>('/taxii2/', { headers, signal: ctl.signal });
        const root = taxiiRootPath(d.default || d.api_roots?.[0] || '/taxii2/lachan/', window.location.origin);
        const c = await api<{ collections?: Collection[] }>(`${root}collections/`, { headers, signal: ctl.signal });
        setState({ title: d.title, root, collections: c.collections ?? [] });
      } catch (e) {
        if (!ctl.signal.aborted) setState({ error: e });
      }
    })();
    return () => ctl.abort();
  }, []);
  if (state.error) return <ErrorBox error={state.error} />;
  if (!state.collections) return <Loading />;
  return (
    <>
      <p className="muted">
        {state.title} · <code>{state.root}</code>
      </p>
      <Table<Collection>
        rowKey={(c) => c.id}
        rowTestId="taxii-collection"
        rows={state.collections}
        empty={<EmptyState title={t('intel.noCollections')} />}
        columns={[
          { key: 'title', header: t('intel.col.title'), cell: (c) => <><strong>{c.title}</strong>{c.alias && <small className="muted"> ({c.alias})</small>}</> },
          { key: 'desc', header: t('intel.description'), cell: (c) => c.description ?? '' },
          { key: 'id', header: 'ID', cell: (c) => <code>{c.id}</code> },
          { key: 'rw', header: t('intel.col.access'), cell: (c) => [c.can_read && t('intel.read'), c.can_write && t('intel.write')].filter(Boolean).join(' · ') },
        ]}
      />
    </>
  );
}

function bytes(n: number, num: (x: number) => string): string {
  if (n < 1024) return `${num(n)} B`;
  if (n < 1024 * 1024) return `${num(Math.round(n / 102.4) / 10)} KB`;
  return `${num(Math.round(n / (1024 * 102.4)) / 10)} MB`;
}

function Samples() {
  const t = useT();
  const { can } = useSession();
  const mayDownload = can('intel.import'); // admins and analysts, as the server's content route
  const list = useCursorList<Sample>('/api/v1/samples', 100);
  if (list.error instanceof ApiError && list.error.status === 503) return <EmptyState title={t('intel.samplesUnavailable')}>{list.error.message}</EmptyState>;
  if (list.error) return <ErrorBox error={list.error} onRetry={list.reload} />;
  if (list.loading && list.items.length === 0) return <Loading />;
  return (
    <>
      <Table<Sample>
        rowKey={(s) => s.sha256}
        rowTestId="sample-row"
        rows={list.items}
        empty={<EmptyState title={t('intel.noSamples')} />}
        columns={[
          { key: 'hash', header: 'SHA-256', cell: (s) => <code className="hash" title={s.sha256}>{s.sha256.slice(0, 16)}…</code> },
          { key: 'name', header: t('intel.col.fileName'), cell: (s) => s.file_name || '—' },
          { key: 'size', header: t('intel.col.size'), className: 'num', cell: (s) => bytes(s.size, t.num) },
          { key: 'yara', header: 'YARA', cell: (s) => (s.yara ?? []).map((y) => y.rule).join(', ') || '—' },
          {
            key: 'verdict',
            header: t('intel.col.verdict'),
            cell: (s) => (
              <span className={`verdict verdict-${sampleVerdict(s)}`}>
                {t(`intel.verdict.${sampleVerdict(s)}`)}
                {s.family && ` · ${s.family}`}
              </span>
            ),
          },
          { key: 'seen', header: t('intel.col.lastSeen'), cell: (s) => t.dateTime(s.last_seen) },
          {
            key: 'dl',
            header: '',
            cell: (s) =>
              mayDownload ? (
                <a href={`/api/v1/samples/${s.sha256}/content`} download={`${s.sha256}.bin`} data-testid="sample-download">
                  {t('intel.download')}
                </a>
              ) : null,
          },
        ]}
      />
      {!list.done && (
        <button type="button" disabled={list.loading} onClick={list.more}>
          {list.loading ? t('app.loading') : t('app.more')}
        </button>
      )}
    </>
  );
}
