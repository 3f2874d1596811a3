import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, buildQuery, expiredLoginUrl, parseErrorBody, resetSessionExpired, setSessionExpiredHandler } from './api';

describe('parseErrorBody', () => {
  it('reads the server shape {"error":{"code","message"}}', () => {
    const e = parseErrorBody(409, '{"error":{"code":"conflict","message":"not from resolved"}}');
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.message]).toEqual([409, 'conflict', 'not from resolved']);
  });
  it('copes with flat and non-JSON bodies', () => {
    expect(parseErrorBody(400, '{"code":"malformed","message":"bad"}').code).toBe('malformed');
    const e = parseErrorBody(502, '<html>Bad gateway</html>', 'Bad Gateway');
    expect(e.code).toBe('http_502');
    expect(e.message).toContain('Bad gateway');
    expect(parseErrorBody(404, '').code).toBe('not_found');
  });
});

describe('buildQuery', () => {
  it('repeats arrays and skips empty values', () => {
    expect(buildQuery({ status: ['new', 'acknowledged'], q: '', x: undefined, limit: 200 })).toBe('?status=new&status=acknowledged&limit=200');
    expect(buildQuery({})).toBe('');
  });
});

describe('api()', () => {
  const fetchMock = vi.fn();
  beforeEach(() => {
    vi.stubGlobal('fetch', fetchMock);
    fetchMock.mockReset();
    resetSessionExpired();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('sends X-Lachan-Request and JSON on non-GET, not on GET', async () => {
    fetchMock.mockImplementation(async () => new Response('{"ok":true}', { status: 200, headers: { 'Content-Type': 'application/json' } }));
    await api('/api/v1/warnings/bulk', { method: 'POST', body: { ids: [1] } });
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('/api/v1/warnings/bulk');
    const h = init.headers as Record<string, string>;
    expect(h['X-Lachan-Request']).toBe('1');
    expect(h['Content-Type']).toBe('application/json');
    expect(init.credentials).toBe('same-origin');
    expect(init.body).toBe('{"ids":[1]}');
    await api('/api/v1/me');
    expect((fetchMock.mock.calls[1][1] as RequestInit).headers).not.toHaveProperty('X-Lachan-Request');
  });

  it('throws ApiError with the server code', async () => {
    fetchMock.mockResolvedValue(new Response('{"error":{"code":"denied","message":"your role may not"}}', { status: 403 }));
    await expect(api('/api/v1/keys')).rejects.toMatchObject({ status: 403, code: 'denied' });
  });

  it('runs the session-expired flow once on 401, with the return path', async () => {
    const handler = vi.fn();
    setSessionExpiredHandler(handler);
    window.history.pushState({}, '', '/warnings?status=new');
    fetchMock.mockImplementation(async () => new Response('{"error":{"code":"unauthenticated","message":"x"}}', { status: 401 }));
    await expect(api('/api/v1/warnings')).rejects.toMatchObject({ status: 401 });
    await expect(api('/api/v1/warnings/count')).rejects.toMatchObject({ status: 401 });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler).toHaveBeenCalledWith('/warnings?status=new');
    resetSessionExpired();
    await expect(api('/api/v1/warnings')).rejects.toBeInstanceOf(ApiError);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('does not run it when asked not to', async () => {
    const handler = vi.fn();
    setSessionExpiredHandler(handler);
    window.history.pushState({}, '', '/');
    fetchMock.mockResolvedValue(new Response('{}', { status: 401 }));
    await expect(api('/api/v1/auth/login', { method: 'POST', no401Redirect: true })).rejects.toBeInstanceOf(ApiError);
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('expiredLoginUrl', () => {
  it('keeps only paths inside the console', () => {
    expect(expiredLoginUrl('/incidents/5')).toBe('/login?expired=1&next=%2Fincidents%2F5');
    expect(expiredLoginUrl('//evil.example/x')).toBe('/login?expired=1&next=%2F');
    expect(expiredLoginUrl('/login?next=/x')).toBe('/login?expired=1&next=%2F');
  });
});
