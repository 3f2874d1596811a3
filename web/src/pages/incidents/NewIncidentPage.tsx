// Reporting an incident: POST /api/v1/incidents.
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, PAPS, SEVERITIES, TLPS, type Incident, type Severity } from '../../api';
import { ErrorBox } from '../../components';
import { RsitSelect } from '../../components/EscalateDialog';
import { useT } from '../../i18n';

export default function NewIncidentPage() {
  const t = useT();
  const navigate = useNavigate();
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [category, setCategory] = useState('other:undetermined');
  const [severity, setSeverity] = useState<Severity>('medium');
  const [tlp, setTlp] = useState('amber');
  const [pap, setPap] = useState('amber');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const i = await api<Incident>('/api/v1/incidents', { method: 'POST', body: { title, description, category, severity, tlp, pap } });
      navigate(`/incidents/${i.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-inc">
      <h1 id="new-inc">{t('incident.newTitle')}</h1>
      {error !== null && <ErrorBox error={error} />}
      <div className="form-grid">
        <label className="full">
          {t('incident.fTitle')}
          <input data-testid="incident-form-title" required value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label className="full">
          {t('incident.description')}
          <textarea data-testid="incident-form-description" value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <label>
          {t('incident.category')}
          <RsitSelect value={category} onChange={setCategory} testId="incident-form-category" />
        </label>
        <label>
          {t('incident.severity')}
          <select data-testid="incident-form-severity" value={severity} onChange={(e) => setSeverity(e.target.value as Severity)}>
            {SEVERITIES.map((s) => <option key={s} value={s}>{t(`severity.${s}`)}</option>)}
          </select>
        </label>
        <label>
          {t('incident.tlp')}
          <select data-testid="incident-form-tlp" value={tlp} onChange={(e) => setTlp(e.target.value)}>
            {TLPS.map((s) => <option key={s} value={s}>TLP:{s.toUpperCase()}</option>)}
          </select>
        </label>
        <label>
          {t('incident.pap')}
          <select data-testid="incident-form-pap" value={pap} onChange={(e) => setPap(e.target.value)}>
            {PAPS.map((s) => <option key={s} value={s}>PAP:{s.toUpperCase()}</option>)}
          </select>
        </label>
      </div>
      <p>
        <button type="submit" className="primary" disabled={busy} data-testid="incident-form-submit">{t('app.submit')}</button>
      </p>
    </form>
  );
}
