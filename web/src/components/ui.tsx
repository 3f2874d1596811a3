// Small shared pieces: badges, empty and error states, a plain table, key/value lists.
import type { ReactNode } from 'react';
import { ApiError } from '../api';
import { useT } from '../i18n';

type BadgeKind = 'severity' | 'wstatus' | 'istatus' | 'tlp' | 'plain';

/** <Badge kind="severity" value="high" />: a coloured, translated label. */
export function Badge({ kind, value, testId }: { kind: BadgeKind; value: string; testId?: string }) {
  const t = useT();
  const label = kind === 'tlp' ? `TLP:${value.toUpperCase()}` : kind === 'plain' ? value : t(`${kind}.${value}`);
  return (
    <span className={`badge badge-${kind} ${kind}-${value.replace(/[^a-z0-9_-]/gi, '_')}`} data-testid={testId} data-value={value}>
      {label}
    </span>
  );
}

export function EmptyState({ title, children }: { title?: string; children?: ReactNode }) {
  const t = useT();
  return (
    <div className="empty-state" role="status">
      <p className="empty-title">{title ?? t('empty.title')}</p>
      {children}
    </div>
  );
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const t = useT();
  const msg = error instanceof ApiError ? (error.status === 403 ? t('app.forbidden') : error.message) : error instanceof Error ? error.message : String(error);
  return (
    <div className="error-box" role="alert">
      <strong>{t('error.title')}</strong>
      <span>{msg}</span>
      {error instanceof ApiError && <code className="muted">{error.status} {error.code}</code>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('app.retry')}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  const t = useT();
  return (
    <div className="loading" role="status" aria-live="polite">
      {t('app.loading')}
    </div>
  );
}

export interface Column<T> {
  key: string;
  header: ReactNode;
  cell: (row: T) => ReactNode;
  className?: string;
}

/** A plain, accessible table (for short lists; the warning queue is virtualised instead). */
export function Table<T>({ columns, rows, rowKey, rowTestId, empty, caption }: {
  columns: Column<T>[];
  rows: T[];
  rowKey: (r: T) => string | number;
  rowTestId?: string;
  empty?: ReactNode;
  caption?: string;
}) {
  if (rows.length === 0) return <>{empty ?? <EmptyState />}</>;
  return (
    <div className="table-wrap">
      <table className="table">
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.className}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)} data-testid={rowTestId} data-id={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.key} className={c.className} data-label={typeof c.header === 'string' ? c.header : undefined}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A definition list of label → value; empty values show a dash. */
export function Fields({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="fields">
      {items.map(([k, v]) => (
        <div key={k} className="field">
          <dt>{k}</dt>
          <dd>{v === '' || v === null || v === undefined ? '—' : v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Section({ title, children, actions, id }: { title: ReactNode; children: ReactNode; actions?: ReactNode; id?: string }) {
  return (
    <section className="card section" aria-labelledby={id}>
      <header className="section-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}
