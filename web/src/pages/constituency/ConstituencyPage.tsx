// The constituency the caller may see (GET /api/v1/organisations) as a tree: the national
// centre, provincial units and sector teams, their members. A search keeps the matches and the
// branches above them; choosing an organisation shows what the server knows of it.
import '../intel/console-pages.css';
import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { EmptyState, ErrorBox, Fields, Loading, Section } from '../../components';
import { useApi } from '../../components/hooks';
import { useT } from '../../i18n';
import { allIds, buildOrgTree, filterTree, pathTo, type Org, type OrgNode } from './orgTree';

export default function ConstituencyPage() {
  const t = useT();
  const { data, error, loading, reload } = useApi<{ items: Org[] }>('/api/v1/organisations');
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [open, setOpen] = useState<Set<string>>(new Set());

  const tree = useMemo(() => buildOrgTree(data?.items ?? []), [data]);
  const shown = useMemo(() => filterTree(tree, query), [tree, query]);
  const byId = useMemo(() => new Map((data?.items ?? []).map((o) => [o.id, o])), [data]);
  // Roots start open; a search opens every branch it keeps.
  const expanded = useMemo(() => {
    if (query.trim()) return new Set(allIds(shown));
    const s = new Set(open);
    for (const r of tree) if (!open.has(`-${r.org.id}`)) s.add(r.org.id);
    return s;
  }, [open, query, shown, tree]);

  const toggle = (id: string) => {
    const s = new Set(open);
    const isRoot = tree.some((r) => r.org.id === id);
    if (isRoot) {
      if (s.has(`-${id}`)) s.delete(`-${id}`);
      else s.add(`-${id}`);
    } else if (s.has(id)) s.delete(id);
    else s.add(id);
    setOpen(s);
  };

  const sel = selected ? byId.get(selected) : undefined;

  const renderNode = (n: OrgNode) => {
    const isOpen = expanded.has(n.org.id);
    const hasKids = n.children.length > 0;
    return (
      <li key={n.org.id} role="treeitem" aria-expanded={hasKids ? isOpen : undefined} aria-selected={selected === n.org.id}>
        <div className={`tree-row${selected === n.org.id ? ' selected' : ''}`} style={{ paddingLeft: `${n.depth * 1.1}rem` }}>
          {hasKids ? (
            <button type="button" className="linkish tree-toggle" aria-label={isOpen ? t('app.hide') : t('app.show')} onClick={() => toggle(n.org.id)}>
              {isOpen ? '▾' : '▸'}
            </button>
          ) : (
            <span className="tree-toggle" aria-hidden="true">·</span>
          )}
          <button type="button" className="linkish tree-label" data-testid="org-node" data-id={n.org.id} onClick={() => setSelected(n.org.id)}>
            {n.org.name || n.org.id}
          </button>
          <small className="muted"> {t(`constituency.kind.${n.org.kind}`)}</small>
          {hasKids && <small className="muted"> ({t.num(n.children.length)})</small>}
        </div>
        {hasKids && isOpen && <ul role="group">{n.children.map(renderNode)}</ul>}
      </li>
    );
  };

  return (
    <div className="page constituency-page" data-testid="constituency-page">
      <header className="page-head">
        <h1>{t('constituency.title')}</h1>
        {data && <span className="muted">{t('constituency.count', { n: data.items.length })}</span>}
      </header>
      <div className="toolbar" role="search">
        <input
          type="search"
          data-testid="constituency-search"
          placeholder={t('constituency.search')}
          aria-label={t('constituency.search')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      {error ? (
        <ErrorBox error={error} onRetry={reload} />
      ) : loading && !data ? (
        <Loading />
      ) : (
        <div className="split">
          <div className="card tree-pane">
            {shown.length === 0 ? (
              <EmptyState title={t('constituency.noMatch')} />
            ) : (
              <ul className="org-tree" role="tree" aria-label={t('constituency.title')} data-testid="org-tree">
                {shown.map(renderNode)}
              </ul>
            )}
          </div>
          <div className="detail-pane">
            {sel ? <OrgDetail org={sel} path={pathTo(tree, sel.id).map((id) => byId.get(id)?.name || id)} /> : <p className="muted">{t('constituency.pick')}</p>}
          </div>
        </div>
      )}
    </div>
  );
}

function List({ items, mono }: { items: (string | number)[] | undefined; mono?: boolean }) {
  if (!items || items.length === 0) return <>—</>;
  return (
    <ul className={`plain-list${mono ? ' mono' : ''}`}>
      {items.map((x) => (
        <li key={String(x)}>{x}</li>
      ))}
    </ul>
  );
}

function OrgDetail({ org, path }: { org: Org; path: string[] }) {
  const t = useT();
  return (
    <Section title={org.name || org.id} id="org-detail">
      <div data-testid="org-detail" data-id={org.id}>
        {path.length > 1 && <p className="muted breadcrumbs">{path.join(' › ')}</p>}
        <Fields
          items={[
            [t('constituency.id'), <code key="id">{org.id}</code>],
            [t('constituency.kindLabel'), t(`constituency.kind.${org.kind}`)],
            [t('constituency.province'), org.province],
            [t('constituency.sectors'), (org.sectors ?? []).join(', ')],
            [t('constituency.criticality'), org.criticality === undefined ? '' : String(org.criticality)],
            [t('constituency.networks'), <List key="n" items={org.networks} mono />],
            [t('constituency.asns'), <List key="a" items={(org.asns ?? []).map((a) => `AS${a}`)} mono />],
            [t('constituency.domains'), <List key="d" items={org.domains} mono />],
            [t('constituency.hosts'), <List key="h" items={org.hosts} mono />],
            [t('constituency.itProviders'), (org.it_providers ?? []).join(', ')],
          ]}
        />
        <h3>{t('constituency.contacts')}</h3>
        {org.contacts?.length ? (
          <ul className="contacts">
            {org.contacts.map((c, i) => (
              <li key={i}>
                <strong>{c.name}</strong> {c.role && <span className="muted">({c.role})</span>}
                {c.email && (
                  <>
                    {' · '}
                    <a href={`mailto:${c.email}`}>{c.email}</a>
                  </>
                )}
                {c.phone && (
                  <>
                    {' · '}
                    <a href={`tel:${c.phone.replace(/\s+/g, '')}`}>{c.phone}</a>
                  </>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">{t('app.none')}</p>
        )}
        <p>
          <Link to={`/warnings?organisation=${encodeURIComponent(org.id)}`}>{t('constituency.warnings')}</Link>
        </p>
      </div>
    </Section>
  );
}
