// The route table. Every page is a lazy chunk; the pages helper's pages (intel, constituency,
// rules, admin) live in their own folders and default-export a component.
import { lazy, Suspense, type ReactNode } from 'react';
import { Route, Routes } from 'react-router-dom';
import { LoginPage, RequireSession, useSession } from './auth';
import { EmptyState, Layout, Loading } from './components';
import { useT } from './i18n';
import type { Action } from './permissions';

const OverviewPage = lazy(() => import('./pages/overview/OverviewPage'));
const WarningsPage = lazy(() => import('./pages/warnings/WarningsPage'));
const WarningDetailPage = lazy(() => import('./pages/warnings/WarningDetailPage'));
const IncidentsPage = lazy(() => import('./pages/incidents/IncidentsPage'));
const IncidentDetailPage = lazy(() => import('./pages/incidents/IncidentDetailPage'));
const NewIncidentPage = lazy(() => import('./pages/incidents/NewIncidentPage'));
const SettingsPage = lazy(() => import('./pages/SettingsPage'));
const IntelPage = lazy(() => import('./pages/intel/IntelPage'));
const ConstituencyPage = lazy(() => import('./pages/constituency/ConstituencyPage'));
const RulesPage = lazy(() => import('./pages/rules/RulesPage'));
const AdminPage = lazy(() => import('./pages/admin/AdminPage'));

function NotFound() {
  const t = useT();
  return <EmptyState title={t('app.notFound')} />;
}

/** A page only some roles may open; others see "not allowed" (the server refuses anyway). */
function Allowed({ action, children }: { action: Action; children: ReactNode }) {
  const { can } = useSession();
  const t = useT();
  return can(action) ? <>{children}</> : <EmptyState title={t('app.forbidden')} />;
}

function Shell({ children }: { children: ReactNode }) {
  return (
    <RequireSession>
      <Layout>
        <Suspense fallback={<Loading />}>{children}</Suspense>
      </Layout>
    </RequireSession>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/" element={<Shell><OverviewPage /></Shell>} />
      <Route path="/warnings" element={<Shell><WarningsPage /></Shell>} />
      <Route path="/warnings/:id" element={<Shell><WarningDetailPage /></Shell>} />
      <Route path="/incidents" element={<Shell><IncidentsPage /></Shell>} />
      <Route path="/incidents/new" element={<Shell><Allowed action="incident.report"><NewIncidentPage /></Allowed></Shell>} />
      <Route path="/incidents/:id" element={<Shell><IncidentDetailPage /></Shell>} />
      <Route path="/settings" element={<Shell><SettingsPage /></Shell>} />
      <Route path="/intel/*" element={<Shell><Allowed action="intel.read"><IntelPage /></Allowed></Shell>} />
      <Route path="/constituency/*" element={<Shell><Allowed action="constituency.read"><ConstituencyPage /></Allowed></Shell>} />
      <Route path="/rules/*" element={<Shell><Allowed action="rules.read"><RulesPage /></Allowed></Shell>} />
      <Route path="/admin/*" element={<Shell><Allowed action="admin"><AdminPage /></Allowed></Shell>} />
      <Route path="*" element={<Shell><NotFound /></Shell>} />
    </Routes>
  );
}
