// Settings: language, session, and Web Push on this device (VAPID key → PushManager.subscribe →
// a personal web_push subscription, POST /api/v1/subscriptions).
import { useState } from 'react';
import { api, SEVERITIES, type Severity, type Subscription } from '../api';
import { useMe } from '../auth';
import { ErrorBox, Fields, Section } from '../components';
import { useLang, useT, type Lang } from '../i18n';

/** The VAPID key (base64url) as the bytes PushManager wants. */
export function urlBase64ToBytes(s: string): Uint8Array<ArrayBuffer> {
  const pad = '='.repeat((4 - (s.length % 4)) % 4);
  const b64 = (s + pad).replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

const TOPICS = ['warnings', 'incidents', 'sla_breach'] as const;

function PushPanel() {
  const t = useT();
  const supported = typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  const [topics, setTopics] = useState<string[]>(['warnings', 'incidents', 'sla_breach']);
  const [minSeverity, setMinSeverity] = useState<Severity>('high');
  const [state, setState] = useState<'idle' | 'busy' | 'on' | 'denied'>('idle');
  const [error, setError] = useState<unknown>(null);
  if (!supported) return <p className="muted">{t('settings.pushUnsupported')}</p>;
  async function enable() {
    setState('busy');
    setError(null);
    try {
      const perm = await Notification.requestPermission();
      if (perm !== 'granted') {
        setState('denied');
        return;
      }
      const { public_key } = await api<{ public_key: string }>('/api/v1/push/vapid-public-key');
      const reg = await navigator.serviceWorker.register('/sw.js');
      await navigator.serviceWorker.ready;
      const sub = (await reg.pushManager.getSubscription()) ??
        (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToBytes(public_key) }));
      await api<Subscription>('/api/v1/subscriptions', {
        method: 'POST',
        body: { personal: true, channel: 'web_push', destination: sub.toJSON(), topics, min_severity: minSeverity, digest_minutes: 0, enabled: true },
      });
      setState('on');
    } catch (e) {
      setError(e);
      setState('idle');
    }
  }
  return (
    <div>
      <p className="muted">{t('settings.pushHelp')}</p>
      <fieldset className="row" style={{ border: 'none', padding: 0 }}>
        <legend className="sr-only">{t('settings.pushTopics')}</legend>
        {TOPICS.map((k) => (
          <label key={k} className="inline">
            <input type="checkbox" checked={topics.includes(k)} onChange={() => setTopics((x) => (x.includes(k) ? x.filter((y) => y !== k) : [...x, k]))} />
            {t(`settings.topic.${k}`)}
          </label>
        ))}
        <label className="inline">
          {t('settings.pushMinSeverity')}
          <select value={minSeverity} onChange={(e) => setMinSeverity(e.target.value as Severity)}>
            {SEVERITIES.map((s) => <option key={s} value={s}>{t(`severity.${s}`)}</option>)}
          </select>
        </label>
      </fieldset>
      <p>
        <button type="button" className="primary" data-testid="push-enable" disabled={state === 'busy' || topics.length === 0} onClick={() => void enable()}>
          {t('settings.pushEnable')}
        </button>
      </p>
      {state === 'on' && <p role="status">{t('settings.pushEnabled')}</p>}
      {state === 'denied' && <p className="error" role="alert">{t('settings.pushDenied')}</p>}
      {error !== null && <ErrorBox error={error} />}
    </div>
  );
}

export default function SettingsPage() {
  const t = useT();
  const me = useMe();
  const [lang, setLang] = useLang();
  return (
    <div>
      <h1>{t('settings.title')}</h1>
      <Section title={t('settings.language')} id="s-lang">
        <div className="row" role="radiogroup" aria-label={t('settings.language')} data-testid="settings-lang">
          {(['vi', 'en'] as Lang[]).map((l) => (
            <label key={l} className="inline">
              <input type="radio" name="lang" value={l} checked={lang === l} onChange={() => setLang(l)} />
              {t(`lang.${l}`)}
            </label>
          ))}
        </div>
      </Section>
      <Section title={t('settings.push')} id="s-push">
        <PushPanel />
      </Section>
      <Section title={t('settings.account')} id="s-acc">
        <Fields items={[
          ['actor', me.actor],
          [t('warning.organisation'), `${me.organisation_name} (${me.organisation})`],
          ['role', t(`auth.role.${me.role}`)],
          [t('settings.session'), me.expires ? t.dateTime(me.expires) : ''],
        ]} />
      </Section>
    </div>
  );
}
