import { describe, expect, it } from 'vitest';
import { msUntil, safeNext } from './auth';
import { navItems } from './nav';
import { incidentNext, roleCan, warningNext } from './permissions';
import { urlBase64ToBytes } from './pages/SettingsPage';

describe('roles', () => {
  it('shows the admin page to admins only and changes to responders up', () => {
    expect(roleCan('admin', 'admin')).toBe(true);
    expect(roleCan('analyst', 'admin')).toBe(false);
    expect(roleCan('viewer', 'warning.change')).toBe(false);
    expect(roleCan('responder', 'warning.change')).toBe(true);
    expect(roleCan('reporter', 'incident.report')).toBe(true);
    expect(roleCan('viewer', 'incident.report')).toBe(false);
    expect(roleCan(undefined, 'intel.read')).toBe(false);
  });
  it('hides nav entries a viewer cannot use', () => {
    const visible = navItems.filter((n) => !n.action || roleCan('viewer', n.action)).map((n) => n.testId);
    expect(visible).toContain('nav-warnings');
    expect(visible).not.toContain('nav-admin');
    expect(visible).not.toContain('nav-rules');
  });
});

describe('transitions (mirroring the server)', () => {
  it('warnings', () => {
    expect(warningNext('new')).toEqual(['acknowledged', 'in_progress', 'resolved', 'false_positive']);
    expect(warningNext('resolved')).toEqual(['in_progress']);
  });
  it('incidents', () => {
    expect(incidentNext('new')).toEqual(['triage']);
    expect(incidentNext('closed')).toEqual(['triage']);
    expect(incidentNext('in_progress')).not.toContain('closed');
  });
});

describe('session helpers', () => {
  it('msUntil', () => {
    expect(msUntil('2026-01-01T00:10:00Z', Date.parse('2026-01-01T00:00:00Z'))).toBe(600_000);
    expect(msUntil(undefined, 0)).toBeNull();
    expect(msUntil('garbage', 0)).toBeNull();
  });
  it('safeNext keeps the person inside the console', () => {
    expect(safeNext('/warnings?status=new')).toBe('/warnings?status=new');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});

describe('urlBase64ToBytes', () => {
  it('decodes base64url without padding', () => {
    expect([...urlBase64ToBytes('AQID_-8')]).toEqual([1, 2, 3, 255, 239]);
  });
});
