// The detection rules loaded by the server (GET /api/v1/rules): search, level filter, a table
// sortable by any column with each rule's hit count (a link to its warnings), and the loader's
// diagnostics (file:line:column) for rules that were rejected or warned about.
import '../intel/console-pages.css';
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { Badge, EmptyState, ErrorBox, Loading, Section } from '../../components';
import { useApi } from '../../components/hooks';
import { useT } from '../../i18n';
import {
  groupDiagnostics, LEVELS, logsourceText, nextSort, sortRules, type RulesAnswer, type SortKey, type SortState,
} from './rulesModel';

const PAGE = 100;

export default function RulesPage() {
  const t = useT();
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const [level, setLevel] = useState('');
  const [offset, setOffset] = useState(0);
  const [sort, setSort] = useState<SortState>({ key: 'hits', dir: 'desc' });

  useEffect(() => {
    const id = window.setTimeout(() => {
      setQ(text.trim());
      setOffset(0);
    }, 250);
    return () => window.clearTimeout(id);
  }, [text]);

  const { data, error, loading, reload } = useApi<RulesAnswer>('/api/v1/rules', { q, level, limit: PAGE, offset });
  const rows = useMemo(() => sortRules(data?.items ?? [], sort), [data, sort]);
  const diagnostics = useMemo(() => groupDiagnostics(data?.diagnostics ?? []), [data]);
  const total = data?.total ?? 0;

  const th = (key: SortKey, label: string, className?: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" className={className} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" className="linkish sort" data-testid={`rules-sort-${key}`} onClick={() => setSort(nextSort(sort, key))}>
          {label}
          <span aria-hidden="true">{active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };

  return (
    <div className="page rules-page" data-testid="rules-page">
      <header className="page-head">
        <h1>{t('rules.title')}</h1>
        {data && <span className="muted" data-testid="rules-total">{t('rules.total', { n: total })}</span>}
      </header>

      <div className="toolbar filters" role="search">
        <label>
          <span className="sr-only">{t('rules.search')}</span>
          <input
            type="search"
            data-testid="rules-search"
            placeholder={t('rules.search')}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        <label>
          <span>{t('rules.level')}</span>{' '}
          <select
            data-testid="rules-level"
            value={level}
            onChange={(e) => {
              setLevel(e.target.value);
              setOffset(0);
            }}
          >
            <option value="">{t('app.all')}</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {t(`severity.${l}`)}
              </option>
            ))}
          </select>
        </label>
      </div>

      {error ? (
        <ErrorBox error={error} onRetry={reload} />
      ) : loading && !data ? (
        <Loading />
      ) : rows.length === 0 ? (
        <EmptyState title={t('rules.empty')} />
      ) : (
        <div className="table-wrap">
          <table className="table rules-table">
            <caption className="sr-only">{t('rules.title')}</caption>
            <thead>
              <tr>
                {th('title', t('rules.col.title'))}
                {th('level', t('rules.col.level'))}
                {th('status', t('rules.col.status'))}
                {th('logsource', t('rules.col.logsource'))}
                {th('file', t('rules.col.file'), 'hide-narrow')}
                {th('hits', t('rules.col.hits'), 'num')}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="rule-row" data-id={r.id}>
                  <td data-label={t('rules.col.title')}>
                    <div>{r.title}</div>
                    <small className="muted mono">{r.id}</small>
                    {r.tags?.length > 0 && (
                      <div className="tags">
                        {r.tags.slice(0, 6).map((tag) => (
                          <span key={tag} className="tag">{tag}</span>
                        ))}
                      </div>
                    )}
                  </td>
                  <td data-label={t('rules.col.level')}>
                    <Badge kind="severity" value={r.level} />
                  </td>
                  <td data-label={t('rules.col.status')}>{r.status}</td>
                  <td data-label={t('rules.col.logsource')}>{logsourceText(r.logsource)}</td>
                  <td data-label={t('rules.col.file')} className="hide-narrow mono">{r.file}</td>
                  <td data-label={t('rules.col.hits')} className="num">
                    {r.hits > 0 ? (
                      <Link to={`/warnings?rule=${encodeURIComponent(r.id)}`} data-testid="rule-hits" title={t('rules.hitsLink')}>
                        {t.num(r.hits)}
                      </Link>
                    ) : (
                      <span className="muted">{t.num(0)}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {total > PAGE && (
        <div className="pager">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            {t('rules.prev')}
          </button>
          <span className="muted">
            {t('rules.range', { from: offset + 1, to: Math.min(offset + PAGE, total), total })}
          </span>
          <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
            {t('rules.next')}
          </button>
        </div>
      )}

      {data && (
        <Section title={t('rules.diagnostics', { n: data.diagnostics?.length ?? 0 })} id="rules-diagnostics">
          {diagnostics.length === 0 ? (
            <p className="muted">{t('rules.noDiagnostics')}</p>
          ) : (
            <ul className="diagnostics" data-testid="rules-diagnostics">
              {diagnostics.map(([file, ds]) => (
                <li key={file}>
                  <strong className="mono">{file}</strong>
                  <ul>
                    {ds.map((d, i) => (
                      <li key={i} className={`diag diag-${d.severity}`}>
                        <span className="mono">
                          {d.line}:{d.column}
                        </span>{' '}
                        <span className={`badge badge-plain diag-${d.severity}`}>{d.severity}</span> {d.message}
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          )}
        </Section>
      )}
    </div>
  );
}
