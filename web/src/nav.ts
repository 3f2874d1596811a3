// The navigation entries; `action` hides an entry from roles that cannot use it.
import type { MessageKey } from './i18n';
import type { Action } from './permissions';

export interface NavItem {
  path: string;
  label: MessageKey;
  testId: string;
  icon: string;
  action?: Action;
}

export const navItems: NavItem[] = [
  { path: '/', label: 'nav.overview', testId: 'nav-overview', icon: '◉' },
  { path: '/warnings', label: 'nav.warnings', testId: 'nav-warnings', icon: '⚠' },
  { path: '/incidents', label: 'nav.incidents', testId: 'nav-incidents', icon: '✚' },
  { path: '/intel', label: 'nav.intel', testId: 'nav-intel', icon: '◈', action: 'intel.read' },
  { path: '/constituency', label: 'nav.constituency', testId: 'nav-constituency', icon: '▦', action: 'constituency.read' },
  { path: '/rules', label: 'nav.rules', testId: 'nav-rules', icon: '≡', action: 'rules.read' },
  { path: '/admin', label: 'nav.admin', testId: 'nav-admin', icon: '⚙', action: 'admin' },
  { path: '/settings', label: 'nav.settings', testId: 'nav-settings', icon: '☼' },
];
