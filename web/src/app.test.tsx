// Smoke: the app renders the login page without a session, and the queue with one.
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionProvider } from './auth';
import { AppRoutes } from './routes';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

async function render(path: string) {
  const el = document.createElement('div');
  document.body.appendChild(el);
  const root = createRoot(el);
  await act(async () => {
    root.render(
      <MemoryRouter initialEntries={[path]}>
        <SessionProvider>
          <AppRoutes />
        </SessionProvider>
      </MemoryRouter>,
    );
  });
  return { el, root };
}

/** Waits (up to 5 s, the machine may be busy) until `ready` holds. */
async function until(ready: () => boolean) {
  for (let i = 0; i < 250 && !ready(); i++) await act(async () => new Promise((r) => setTimeout(r, 20)));
}

afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = '';
});

describe('app', () => {
  it('shows the login form without a session', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: { code: 'unauthenticated', message: 'x' } }, 401)));
    const { el, root } = await render('/warnings');
    await until(() => !!el.querySelector('[data-testid="login-username"]'));
    expect(el.querySelector('[data-testid="login-username"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="login-submit"]')).not.toBeNull();
    act(() => root.unmount());
  });

  it('shows the queue with its total and bulk buttons for an analyst', async () => {
    const calls: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      calls.push(url);
      if (url.startsWith('/api/v1/me')) return json({ actor: 'user:an', organisation: 'vncert', organisation_name: 'VNCERT', role: 'analyst' });
      if (url.startsWith('/api/v1/warnings/count')) return json({ count: 123456 });
      if (url.startsWith('/api/v1/warnings'))
        return json({
          items: [{ id: 7, organisation: 'org-a', detector: 'sigma', rule_id: 'r1', title: 'SSH brute force', severity: 'high', status: 'new', tags: [], tlp: 'amber',
            entities: [], count: 3, first_seen: '2026-01-01T00:00:00Z', last_seen: '2026-01-01T00:00:00Z', created: '', updated: '', province: 'ha-noi', sectors: [], routed_to: [] }],
          next_cursor: null,
        });
      return json({ error: { code: 'not_found', message: 'not found' } }, 404);
    }));
    const { el, root } = await render('/warnings?status=new');
    await until(() => !!el.querySelector('[data-testid="warnings-total"]')?.textContent?.includes('123'));
    expect(el.querySelector('[data-testid="warnings-total"]')?.textContent).toContain('123.456');
    expect(calls.some((c) => c.startsWith('/api/v1/warnings?') && c.includes('status=new') && c.includes('limit=200'))).toBe(true);
    expect(el.querySelector('[data-testid="nav-admin"]')).toBeNull();
    expect(el.querySelector('[data-testid="nav-warnings"]')).not.toBeNull();
    act(() => root.unmount());
  });
});
