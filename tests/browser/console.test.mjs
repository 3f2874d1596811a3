// The web console in Debian's Chromium (playwright-core) against a real `lachan demo` with the
// demo constituency, its people and 3,000 synthetic warnings: what a national admin and a member
// organisation see, acknowledging and escalating, language, the phone layout, logout and a
// session ended on the server. Screenshots of every main page go to $LACHAN_SCREENSHOTS.
//   LACHAN_BIN=build/release/lachan node --test tests/browser/console.test.mjs
// Session expiry by time is not exercised: the server's shortest session_ttl_s is 60 s; a
// session ended on the server (POST /api/v1/auth/logout with its token) takes the same path
// in the console (a 401 on the next call → /login?expired=1).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  REPO, USERS, WAIT_MS, apiGet, apiToken, launchBrowser, login, missingPrerequisite, newPage, startDemo, tid,
} from './harness.mjs';

const SHOTS = process.env.LACHAN_SCREENSHOTS || join(REPO, 'build', 'browser-screenshots');
const SYNTHETIC = Number(process.env.LACHAN_SYNTHETIC_WARNINGS || 3000);
const T = { timeout: 90_000 };
const skip = missingPrerequisite();
if (skip) console.log(`# SKIP browser tests: ${skip}`);

const ROW = tid('warning-row');
const rowById = (id) => `${ROW}[data-id="${id}"]`;

describe('web console', { skip: skip ?? false }, () => {
  let demo;
  let browser;
  let adminToken;
  const pages = [];

  let current = null;
  async function open(opts) {
    const p = await newPage(browser, opts);
    pages.push(p);
    current = p;
    return p;
  }
  async function shot(page, name) {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  }
  // The organisations in the visible queue rows (.c-org carries the id in its title).
  async function visibleRowOrgs(page) {
    return page.locator(`${ROW} .c-org`).evaluateAll((els) => els.map((e) => e.getAttribute('title') || e.textContent.trim()));
  }
  // A warning of the given status that no test has touched yet (newest first).
  const used = new Set();
  async function freshWarning(status = 'new', notOrg = '') {
    const r = await apiGet(demo.url, adminToken, `/api/v1/warnings?status=${status}&limit=200`);
    assert.equal(r.status, 200);
    const w = r.body.items.find((x) => !used.has(x.id) && x.organisation !== notOrg);
    assert.ok(w, `a ${status} warning`);
    used.add(w.id);
    return w;
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    demo = await startDemo({ syntheticWarnings: SYNTHETIC, readyMs: 120_000 });
    try {
      browser = await launchBrowser();
      adminToken = await apiToken(demo.url, USERS.admin);
    } catch (e) {
      await demo.stop();
      throw e;
    }
  }, { timeout: 180_000 });

  // The last page of every test as it was at the end (what a failure looked like).
  afterEach(async (t) => {
    const p = current;
    current = null;
    if (p) {
      await p.screenshot({ path: join(SHOTS, `end-${t.name.slice(0, 3).replace(/[^a-z]/g, '')}.png`) }).catch(() => {});
      await p.context().close().catch(() => {});
    }
  });

  after(async () => {
    for (const p of pages) if (p.errors.length) console.log(`# page errors (${p.url()}): ${p.errors.join(' | ')}`);
    await browser?.close().catch(() => {});
    await demo?.stop();
  }, { timeout: 30_000 });

  it('(a) the national centre sees warnings of several provinces', T, async () => {
    const page = await open();
    await login(page, demo.url, USERS.admin);
    await page.locator(tid('open-total')).waitFor();
    await shot(page, 'overview');
    await page.locator(tid('nav-warnings')).first().click();
    await page.locator(ROW).first().waitFor();
    await shot(page, 'warnings');
    const orgs = new Set(await visibleRowOrgs(page));
    assert.ok(orgs.size >= 2, `several organisations in the national queue, saw ${[...orgs]}`);
    // Provinces of those organisations, from the API.
    const all = await apiGet(demo.url, adminToken, '/api/v1/organisations');
    const province = new Map(all.body.items.map((o) => [o.id, o.province]));
    const provinces = new Set([...orgs].map((o) => province.get(o)).filter(Boolean));
    assert.ok(provinces.size >= 2, `several provinces in the national queue, saw ${[...provinces]} for ${[...orgs]}`);
    // The national-only navigation is there.
    await page.locator(tid('nav-admin')).first().waitFor();
  });

  it('(j) installable: the manifest is linked and served, the service worker controls the app', T, async () => {
    const page = await open();
    await login(page, demo.url, USERS.admin);
    await page.locator(tid('open-total')).waitFor();
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    const manifest = await page.evaluate(async (h) => {
      const r = await fetch(h);
      return { status: r.status, type: r.headers.get('content-type'), body: await r.json() };
    }, href);
    assert.equal(manifest.status, 200);
    assert.match(manifest.type, /application\/manifest\+json/);
    assert.equal(manifest.body.display, 'standalone');
    assert.ok(manifest.body.icons.some((i) => i.sizes === '512x512'), 'a 512 px icon');
    // The worker registers from /sw.js with the whole app in scope, and never answers /api/.
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(new URL(scope).pathname, '/');
    await page.reload();
    const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
    assert.ok(controlled, 'after a reload the page is controlled by the service worker');
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    assert.equal(me, 200, 'the API still answers through the worker (not cached, not blocked)');
  });

  it('(b) a member organisation sees only its own warnings', T, async () => {
    const page = await open();
    await login(page, demo.url, USERS.member);
    await page.goto(`${demo.url}/warnings`);
    await page.locator(ROW).first().waitFor();
    const orgs = await visibleRowOrgs(page);
    assert.ok(orgs.length > 0, 'the member sees its warnings');
    for (const o of orgs) assert.equal(o, USERS.member.org, `a row of ${o} in ${USERS.member.org}'s queue`);
    // No national-only navigation for a viewer of a member organisation.
    assert.equal(await page.locator(tid('nav-admin')).count(), 0, 'no admin entry');
    await page.goto(`${demo.url}/admin`);
    assert.equal(await page.locator(tid('admin-page')).count(), 0, 'the admin page is not shown');
    // Another organisation's warning, opened by its URL: not found.
    const foreign = await freshWarning('new', USERS.member.org);
    await page.goto(`${demo.url}/warnings/${foreign.id}`);
    const alert = page.locator('[role="alert"]').first();
    await alert.waitFor();
    assert.match(await alert.innerText(), /404|not_found/);
    assert.equal(await page.locator(tid('warning-title')).count(), 0);
  });

  it('(c) acknowledging a warning from the queue (bulk) changes its status, also in its detail', T, async () => {
    const page = await open();
    await login(page, demo.url, USERS.admin);
    await page.goto(`${demo.url}/warnings`);
    await page.locator(ROW).first().waitFor();
    const row = page.locator(`${ROW}:has(.c-status [data-value="new"])`).first();
    await row.waitFor();
    const id = await row.getAttribute('data-id');
    used.add(Number(id));
    await row.locator(tid('warning-checkbox')).check();
    await Promise.all([
      page.waitForResponse((r) => r.request().method() !== 'GET' && /\/api\/v1\/warnings/.test(r.url())),
      page.locator(tid('bulk-acknowledge')).click(),
    ]);
    const status = page.locator(`${rowById(id)} .c-status [data-value]`);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.getAttribute('data-value') === 'acknowledged',
      `${rowById(id)} .c-status [data-value]`, { timeout: WAIT_MS },
    ).catch(async () => assert.fail(`row ${id} shows ${await status.getAttribute('data-value').catch(() => 'nothing')}`));
    const api = await apiGet(demo.url, adminToken, `/api/v1/warnings/${id}`);
    assert.equal(api.body.status, 'acknowledged');
    await page.goto(`${demo.url}/warnings/${id}`);
    await page.locator(`${tid('warning-status')}[data-value="acknowledged"]`).waitFor();
    await page.locator(tid('warning-history')).waitFor();
    await shot(page, 'warning-detail');
  });

  it('(d) escalating a warning makes an incident that is listed in /incidents', T, async () => {
    const page = await open();
    await login(page, demo.url, USERS.admin);
    const w = await freshWarning('new');
    await page.goto(`${demo.url}/warnings/${w.id}`);
    await page.locator(tid('warning-escalate')).click();
    await Promise.all([
      page.waitForURL(/\/incidents\/\d+/),
      page.locator(tid('escalate-confirm')).click(),
    ]);
    const incidentId = page.url().match(/\/incidents\/(\d+)/)[1];
    await page.locator(tid('incident-title')).waitFor();
    await shot(page, 'incident-detail');
    await page.goto(`${demo.url}/incidents`);
    await page.locator(`${tid('incident-row')}[data-id="${incidentId}"]`).waitFor();
    await shot(page, 'incidents');
    const inc = await apiGet(demo.url, adminToken, `/api/v1/incidents/${incidentId}`);
    assert.equal(inc.status, 200);
    assert.ok((inc.body.warning_ids ?? []).includes(w.id), `incident ${incidentId} carries warning ${w.id}`);
  });

  it('(e) switching vi → en shows English labels and English numbers', T, async () => {
    const page = await open();
    await login(page, demo.url, USERS.admin);
    await page.goto(`${demo.url}/warnings`);
    const total = page.locator(tid('warnings-total'));
    await page.waitForFunction((sel) => /\d\.\d{3}/.test(document.querySelector(sel)?.textContent ?? ''), '[data-testid="warnings-total"]');
    const nav = page.locator(tid('nav-warnings')).first();
    assert.match(await nav.innerText(), /Cảnh báo/);
    await page.locator(tid('lang-switch')).selectOption('en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.match(await nav.innerText(), /Warnings/);
    await page.waitForFunction((sel) => /\d,\d{3}/.test(document.querySelector(sel)?.textContent ?? ''), '[data-testid="warnings-total"]');
    assert.doesNotMatch(await total.innerText(), /\d\.\d{3}/);
    await page.locator(tid('lang-switch')).selectOption('vi');
  });

  it('(f) on a phone (390×844) the nav is a bottom bar, the queue shows cards, nothing scrolls sideways', T, async () => {
    const page = await open({ viewport: { width: 390, height: 844 } });
    await login(page, demo.url, USERS.admin);
    await page.locator(tid('open-total')).waitFor();
    const nav = page.locator(tid('nav-warnings')).first();
    await nav.waitFor();
    const box = await nav.boundingBox();
    assert.ok(box && box.y > 844 / 2, `the navigation sits at the bottom (warnings link at y=${box?.y})`);
    const width = () => page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok((await width()) <= 390, `overview scrollWidth ${await width()}`);
    await shot(page, 'phone-overview');
    await nav.click();
    await page.locator(ROW).first().waitFor();
    assert.ok((await width()) <= 390, `queue scrollWidth ${await width()}`);
    // Cards: the table header row is hidden and a row is taller than a table line, within the screen.
    assert.equal(await page.locator('.queue-head').isVisible(), false, 'no table header on a phone');
    const row = await page.locator(ROW).first().boundingBox();
    assert.ok(row.width <= 390 && row.height >= 48, `a card-sized row: ${JSON.stringify(row)}`);
    await shot(page, 'phone-queue');
  });

  it('(i) intelligence, constituency, rules and administration render for the national admin', T, async () => {
    const page = await open();
    await login(page, demo.url, USERS.admin);
    await page.goto(`${demo.url}/intel`);
    await page.locator(tid('indicator-row')).first().waitFor();
    await page.locator(tid('indicator-open')).first().click();
    await page.locator(tid('indicator-drawer')).waitFor();
    await shot(page, 'intel');
    await page.keyboard.press('Escape');
    await page.locator(tid('intel-tab-taxii')).click();
    await page.locator(`${tid('taxii-collection')}, [role="alert"], .empty-state`).first().waitFor();

    await page.goto(`${demo.url}/constituency`);
    await page.locator(tid('org-node')).first().waitFor();
    assert.ok((await page.locator(tid('org-node')).count()) > 40, 'the whole constituency for the centre');
    await page.locator(tid('constituency-search')).fill('Nghệ An');
    await page.locator(`${tid('org-node')}[data-id="${USERS.member.org}"]`).click();
    await page.locator(`${tid('org-detail')}[data-id="${USERS.member.org}"]`).waitFor();
    await shot(page, 'constituency');

    await page.goto(`${demo.url}/admin`);
    await page.locator(tid('user-row')).first().waitFor();
    await shot(page, 'admin');
    await page.locator(tid('admin-tab-audit')).click();
    await page.locator(tid('audit-row')).first().waitFor();

    await page.goto(`${demo.url}/rules`);
    await page.locator(`${tid('rule-row')}, [role="alert"]`).first().waitFor();
    await shot(page, 'rules');
    assert.ok((await page.locator(tid('rule-row')).count()) > 0, 'rules are listed (GET /api/v1/rules)');
    await page.locator(tid('rules-sort-hits')).click();
    await page.locator(tid('rules-diagnostics')).or(page.locator('#rules-diagnostics')).first().waitFor();
  });

  it('(g) logout returns to the login form and the session is over (/api/v1/me: 401)', T, async () => {
    const page = await open();
    await login(page, demo.url, USERS.admin);
    await page.locator(tid('logout')).click();
    await page.waitForURL(/\/login/);
    await page.locator(tid('login-username')).waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/v1/me', { credentials: 'same-origin' })).status);
    assert.equal(status, 401);
  });

  it('(h) a session ended on the server sends the console back to the login form', T, async () => {
    const page = await open();
    await login(page, demo.url, USERS.admin);
    await page.locator(tid('open-total')).waitFor();
    const cookie = (await page.context().cookies()).find((c) => c.name === 'lachan_session');
    assert.ok(cookie, 'the login set the lachan_session cookie');
    const r = await fetch(`${demo.url}/api/v1/auth/logout`, {
      method: 'POST', headers: { Authorization: `Bearer ${cookie.value}`, 'X-Lachan-Request': '1' },
    });
    assert.equal(r.status, 200);
    await page.locator(tid('nav-incidents')).first().click();
    await page.waitForURL(/\/login\?expired=1/);
    await page.locator(tid('login-username')).waitFor();
  });
});
