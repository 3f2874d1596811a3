// The session: GET /api/v1/me on start, the login form (POST /api/v1/auth/login sets the
// HttpOnly cookie), logout, a notice before the session expires and the expired flow after.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { api, ApiError, expiredLoginUrl, resetSessionExpired, setSessionExpiredHandler, type Me } from './api';
import { useT } from './i18n';
import { fmtDuration } from './i18n/format';
import { roleCan, type Action } from './permissions';

interface Session {
  me: Me | null;
  loading: boolean;
  error: ApiError | null;
  /** The server ended the session (401): the login form says so. */
  expired: boolean;
  reload: () => Promise<void>;
  logout: () => Promise<void>;
  can: (a: Action) => boolean;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside <SessionProvider>');
  return s;
}

/** The signed-in person; only inside <RequireSession>. */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('useMe without a session');
  return me;
}

export function useCan(): (a: Action) => boolean {
  return useSession().can;
}

/** Milliseconds before `expires` (negative once passed); null when unknown. */
export function msUntil(expires: string | undefined, now: number): number | null {
  if (!expires) return null;
  const t = Date.parse(expires);
  return Number.isNaN(t) ? null : t - now;
}

export const EXPIRY_NOTICE_MS = 5 * 60 * 1000;

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const [expired, setExpired] = useState(false);
  const navigate = useNavigate();

  const reload = useCallback(async () => {
    setLoading(true);
    try {
      const m = await api<Me>('/api/v1/me', { no401Redirect: true });
      setMe(m);
      setError(null);
      setExpired(false);
      resetSessionExpired();
    } catch (e) {
      setMe(null);
      setError(e instanceof ApiError && e.status !== 401 ? e : null);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => {
    setSessionExpiredHandler((returnTo) => {
      // RequireSession, seeing no session, must not send the person to a plain login form
      // instead (it renders in the same update): it reads `expired` too.
      setExpired(true);
      setMe(null);
      navigate(expiredLoginUrl(returnTo), { replace: true });
    });
  }, [navigate]);

  const logout = useCallback(async () => {
    try {
      await api('/api/v1/auth/logout', { method: 'POST', no401Redirect: true });
    } catch {
      /* the session may already be gone */
    }
    setMe(null);
    setExpired(false);
    navigate('/login', { replace: true });
  }, [navigate]);

  const value = useMemo<Session>(
    () => ({ me, loading, error, expired, reload, logout, can: (a: Action) => roleCan(me?.role, a) }),
    [me, loading, error, expired, reload, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** Shows the children with a session, otherwise sends the person to /login?next=… */
export function RequireSession({ children }: { children: ReactNode }) {
  const { me, loading, error, expired, reload } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const t = useT();
  useEffect(() => {
    if (loading || me || error) return;
    const here = location.pathname + location.search;
    navigate(expired ? expiredLoginUrl(here) : `/login?next=${encodeURIComponent(here)}`, { replace: true });
  }, [loading, me, error, expired, navigate, location]);
  if (loading) return <div className="page-loading" role="status">{t('app.loading')}</div>;
  if (error)
    return (
      <div className="center-box">
        <p role="alert">{error.message}</p>
        <button type="button" onClick={() => void reload()}>{t('app.retry')}</button>
      </div>
    );
  if (!me) return null;
  return <>{children}</>;
}

/** A notice in the last minutes of the session; at the end, the expired flow. */
export function SessionCountdown() {
  const { me } = useSession();
  const t = useT();
  const [now, setNow] = useState(() => Date.now());
  const left = msUntil(me?.expires, now);
  useEffect(() => {
    if (left === null) return;
    const id = window.setInterval(() => setNow(Date.now()), left < EXPIRY_NOTICE_MS + 60_000 ? 1000 : 30_000);
    return () => window.clearInterval(id);
  }, [left === null, left !== null && left < EXPIRY_NOTICE_MS + 60_000]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (left !== null && left <= 0) {
      // Ask the server: a 401 runs the expired flow (and a renewed session keeps working).
      void api('/api/v1/me').catch(() => undefined);
    }
  }, [left !== null && left <= 0]); // eslint-disable-line react-hooks/exhaustive-deps
  if (left === null || left > EXPIRY_NOTICE_MS) return null;
  return (
    <div className="session-notice" role="status" aria-live="polite" data-testid="session-expiring">
      {t('auth.expiringSoon', { time: fmtDuration(Math.max(0, left)) })}
    </div>
  );
}

/** Only a path inside the console is a place to return to. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return '/';
  return next;
}

export function LoginPage() {
  const t = useT();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const { reload, me } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const expired = params.get('expired') === '1';
  const next = safeNext(params.get('next'));

  useEffect(() => {
    if (me) navigate(next, { replace: true });
  }, [me, next, navigate]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/api/v1/auth/login', { method: 'POST', body: { username, password }, no401Redirect: true });
      resetSessionExpired();
      await reload();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t('auth.failed') : err instanceof Error ? err.message : t('app.error'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="login-box card" onSubmit={submit} aria-labelledby="login-title">
        <img src="/icon.svg" alt="" width={48} height={48} />
        <h1 id="login-title">{t('app.name')}</h1>
        <p className="muted">{t('app.tagline')}</p>
        {expired && <p className="notice" role="status">{t('auth.expired')}</p>}
        {error && <p className="error" role="alert">{error}</p>}
        <label>
          {t('auth.username')}
          <input data-testid="login-username" name="username" autoComplete="username" required value={username}
            onChange={(e) => setUsername(e.target.value)} autoFocus />
        </label>
        <label>
          {t('auth.password')}
          <input data-testid="login-password" name="password" type="password" autoComplete="current-password" required
            value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button data-testid="login-submit" type="submit" className="primary" disabled={busy}>
          {busy ? t('auth.submitting') : t('auth.submit')}
        </button>
      </form>
    </main>
  );
}
