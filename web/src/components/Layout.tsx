// The frame: header (organisation, person, language, logout), the navigation (a side bar; under
// 700px the same list becomes a bottom bar that scrolls sideways) and the page.
import type { ReactNode } from 'react';
import { NavLink } from 'react-router-dom';
import { SessionCountdown, useSession } from '../auth';
import { useLang, useT, type Lang } from '../i18n';
import { navItems } from '../nav';

export function LangSwitch() {
  const [lang, setLang] = useLang();
  const t = useT();
  return (
    <label className="lang-switch">
      <span className="sr-only">{t('lang.label')}</span>
      <select data-testid="lang-switch" value={lang} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t('lang.label')}>
        <option value="vi">VI</option>
        <option value="en">EN</option>
      </select>
    </label>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { me, logout, can } = useSession();
  const t = useT();
  const items = navItems.filter((n) => !n.action || can(n.action));
  return (
    <div className="app">
      <a className="skip-link" href="#main">{t('nav.skip')}</a>
      <header className="app-header">
        <NavLink to="/" className="brand" aria-label={t('app.name')}>
          <img src="/icon.svg" alt="" width={28} height={28} />
          <span>{t('app.name')}</span>
        </NavLink>
        <div className="org" title={me?.organisation}>
          {me?.organisation_name || me?.organisation}
        </div>
        <div className="header-tools">
          <span className="user" title={me?.actor}>
            {me?.display_name || me?.username || me?.actor?.replace(/^user:/, '')}
            {me && <small className="muted"> · {t(`auth.role.${me.role}`)}</small>}
          </span>
          <LangSwitch />
          <button type="button" className="linkish" data-testid="logout" onClick={() => void logout()}>
            {t('auth.logout')}
          </button>
        </div>
      </header>
      <SessionCountdown />
      <nav className="side-nav" aria-label={t('nav.menu')}>
        <ul>
          {items.map((n) => (
            <li key={n.path}>
              <NavLink to={n.path} end={n.path === '/'} data-testid={n.testId}>
                <span className="nav-icon" aria-hidden="true">{n.icon}</span>
                <span>{t(n.label)}</span>
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="app-main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
