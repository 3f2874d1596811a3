// Escalating warnings to an incident: the server needs an RSIT category; title, severity, TLP
// and the affected organisations default from the warnings.
import { useState, type FormEvent } from 'react';
import { api, type Incident } from '../api';
import rsit from '../data/rsit.json';
import { useT } from '../i18n';

export const RSIT: { value: string; label: string }[] = rsit;

export function RsitSelect({ value, onChange, testId, id }: { value: string; onChange: (v: string) => void; testId?: string; id?: string }) {
  const groups = new Map<string, { value: string; label: string }[]>();
  for (const c of RSIT) {
    const g = c.value.split(':')[0];
    groups.set(g, [...(groups.get(g) ?? []), c]);
  }
  return (
    <select id={id} data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)} required>
      {[...groups].map(([g, items]) => (
        <optgroup key={g} label={g}>
          {items.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label} ({c.value})
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
}

/** Escalates one warning (POST /warnings/{id}/escalate) or several (POST /incidents). */
export async function escalate(ids: number[], category: string): Promise<Incident> {
  if (ids.length === 1) return api<Incident>(`/api/v1/warnings/${ids[0]}/escalate`, { method: 'POST', body: { category } });
  return api<Incident>('/api/v1/incidents', { method: 'POST', body: { warning_ids: ids, category } });
}

export function EscalateDialog({ ids, onDone, onCancel }: { ids: number[]; onDone: (i: Incident) => void; onCancel: () => void }) {
  const t = useT();
  const [category, setCategory] = useState('other:undetermined');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await escalate(ids, category));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="card row" onSubmit={submit} aria-label={t('warnings.bulk.escalate')}>
      <label>
        {t('warnings.escalateCategory')}
        <RsitSelect value={category} onChange={setCategory} testId="escalate-category" />
      </label>
      <button type="submit" className="primary" disabled={busy} data-testid="escalate-confirm">
        {t('warnings.bulk.escalate')} ({t.num(ids.length)})
      </button>
      <button type="button" onClick={onCancel}>{t('app.cancel')}</button>
      {error && <span className="error" role="alert">{error}</span>}
    </form>
  );
}
