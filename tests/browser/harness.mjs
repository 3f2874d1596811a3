// What the browser tests and the console benchmark share: a real `lachan demo` in a temporary
// data dir, Debian's Chromium driven by playwright-core (never a downloaded browser), logins, and
// clean-up that runs also after a failure.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.LACHAN_CHROMIUM || '/usr/bin/chromium';
export const WEB_ROOT = process.env.LACHAN_WEB_ROOT || join(REPO, 'web', 'dist');
export const WAIT_MS = 15_000;

// The demo's people (src/app/demo.cpp).
export const USERS = {
  admin: { username: 'ncsc.admin', password: 'demo-ncsc-admin', org: 'ncsc' },
  provincial: { username: 'nghe-an.analyst', password: 'demo-nghe-an', org: 'ca-nghe-an' },
  member: { username: 'bvhn.viewer', password: 'demo-bvhn', org: 'bvhn-nghe-an' },
};

export function lachanBin() {
  const candidates = [process.env.LACHAN_BIN, join(REPO, 'build', 'release', 'lachan')].filter(Boolean);
  return candidates.find((p) => existsSync(p));
}

// Why the browser tests cannot run here, or null.
export function missingPrerequisite() {
  if (!lachanBin()) return 'no lachan binary (set LACHAN_BIN or build build/release/lachan)';
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (scripts/install-deps.sh --browser)`;
  if (!existsSync(join(WEB_ROOT, 'index.html'))) return `no built console at ${WEB_ROOT} (scripts/build-web.sh)`;
  return null;
}

async function until(what, fn, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Starts `lachan demo` on a free port; resolves once the replay is done (the demo prints
// "Lachan demo is running") and the URL file is written. stop() ends it (SIGTERM, then SIGKILL).
export async function startDemo({ syntheticWarnings = 0, extraArgs = [], readyMs = 60_000 } = {}) {
  const bin = lachanBin();
  const dir = mkdtempSync(join(tmpdir(), 'lachan-browser-'));
  const urlFile = join(dir, 'url');
  const args = ['demo', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--url-file', urlFile,
    '--web-root', WEB_ROOT, ...extraArgs];
  if (syntheticWarnings > 0) args.push('--synthetic-warnings', String(syntheticWarnings));
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let exited = null;
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  proc.on('exit', (code, sig) => { exited = { code, sig }; });
  const stop = async () => {
    if (exited === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => { if (exited === null) proc.kill('SIGKILL'); }, 10_000);
      await new Promise((r) => (exited !== null ? r() : proc.once('exit', r)));
      clearTimeout(t);
    }
    if (!process.env.LACHAN_KEEP_DATA) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until('lachan demo to finish its replay', () => {
      if (exited !== null) throw new Error(`lachan demo exited (${JSON.stringify(exited)}):\n${out.slice(-3000)}`);
      return existsSync(urlFile) && out.includes('Lachan demo is running');
    }, readyMs);
  } catch (e) {
    await stop();
    throw e;
  }
  const url = readFileSync(urlFile, 'utf8').split('\n')[0].trim();
  return { url, dir, stop, output: () => out };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: WAIT_MS * 2,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// A fresh context (its own cookies) in Vietnamese, the console's default language.
export async function newPage(browser, { viewport = { width: 1366, height: 900 }, locale = 'vi-VN' } = {}) {
  const context = await browser.newContext({ viewport, locale, timezoneId: 'Asia/Ho_Chi_Minh' });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.errors = errors;
  return page;
}

export const tid = (id) => `[data-testid="${id}"]`;

// Logs in through the console's form; resolves once the shell is shown.
export async function login(page, base, who) {
  await page.goto(`${base}/login`);
  await page.locator(tid('login-username')).fill(who.username);
  await page.locator(tid('login-password')).fill(who.password);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login') && r.request().method() === 'POST'),
    page.locator(tid('login-submit')).click(),
  ]);
  await page.locator(tid('nav-overview')).first().waitFor();
}

// A session token for direct API calls (the tests' own checks, not the console's).
export async function apiToken(base, who) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: who.username, password: who.password }),
  });
  if (r.status !== 200) throw new Error(`login ${who.username}: ${r.status}`);
  return (await r.json()).token;
}

export async function apiGet(base, token, path) {
  const r = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, body: r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text() };
}
