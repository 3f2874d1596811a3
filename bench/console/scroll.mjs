// The warning queue under load: `lachan demo --synthetic-warnings N` (100,000 by default), the
// national admin logged in, /warnings opened in Debian's Chromium; prints the time to the first
// row, frame times while the virtualised list is scrolled for a few seconds, long tasks, rows
// loaded from the API and the gzipped JavaScript of web/dist. A benchmark, not a test: it asserts
// nothing. See bench/console/README.md.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';
import {
  WEB_ROOT, USERS, launchBrowser, login, missingPrerequisite, newPage, startDemo, tid,
} from '../../tests/browser/harness.mjs';

const N = Number(process.env.LACHAN_BENCH_WARNINGS || 100_000);
const SCROLL_MS = Number(process.env.LACHAN_BENCH_SCROLL_MS || 5000);
const STEP_PX = Number(process.env.LACHAN_BENCH_STEP_PX || 200);
const ROW = tid('warning-row');
const LIST = '.queue'; // the virtualised queue's scroller (WarningsPage)

function gzippedJs(dir) {
  let total = 0;
  let files = 0;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.js')) {
        total += gzipSync(readFileSync(p), { level: constants.Z_BEST_COMPRESSION }).length;
        files += 1;
      }
    }
  };
  walk(dir);
  return { total, files };
}

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main() {
  const why = missingPrerequisite();
  if (why) {
    console.error(`scroll bench: ${why}`);
    process.exit(2);
  }
  const t0 = Date.now();
  const demo = await startDemo({ syntheticWarnings: N, readyMs: 600_000 });
  console.log(`demo with ${N} synthetic warnings ready in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${demo.url}`);
  let browser;
  try {
    browser = await launchBrowser();
    const page = await newPage(browser);
    await login(page, demo.url, USERS.admin);

    let rowsLoaded = 0;
    let pages = 0;
    page.on('response', async (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/v1/warnings' && r.request().method() === 'GET' && r.ok()) {
        try {
          rowsLoaded += (await r.json()).items.length;
          pages += 1;
        } catch { /* a body the page already consumed is still readable; ignore if not */ }
      }
    });
    // The moment the first row is in the DOM, relative to the navigation's start.
    await page.addInitScript((sel) => {
      const mark = () => {
        if (window.__firstRow === undefined && document.querySelector(sel)) window.__firstRow = performance.now();
        return window.__firstRow !== undefined;
      };
      const mo = new MutationObserver(() => { if (mark()) mo.disconnect(); });
      document.addEventListener('DOMContentLoaded', () => mo.observe(document.body, { childList: true, subtree: true }));
    }, ROW);
    await page.goto(`${demo.url}/warnings`);
    await page.locator(ROW).first().waitFor({ state: 'visible', timeout: 60_000 });
    const firstRowMs = await page.evaluate(() => window.__firstRow ?? performance.now());

    const r = await page.evaluate(async ({ list, row, ms, step }) => {
      const first = document.querySelector(row);
      let el = document.querySelector(list);
      // The scroller: the list itself if it scrolls, else the first scrolling ancestor of a row.
      const scrolls = (e) => e && e.scrollHeight > e.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(e).overflowY);
      if (!scrolls(el)) {
        el = first;
        while (el && !scrolls(el)) el = el.parentElement;
      }
      el = el || document.scrollingElement;
      const longTasks = [];
      let po;
      try {
        po = new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); });
        po.observe({ type: 'longtask', buffered: false });
      } catch { /* no longtask support */ }
      const frames = [];
      const start = performance.now();
      let last = start;
      await new Promise((done) => {
        const tick = (now) => {
          frames.push(now - last);
          last = now;
          el.scrollTop += step;
          if (now - start < ms) requestAnimationFrame(tick);
          else done();
        };
        requestAnimationFrame(tick);
      });
      po?.disconnect();
      frames.shift();
      return { frames, longTasks, scrollTop: el.scrollTop, rendered: document.querySelectorAll(row).length };
    }, { list: LIST, row: ROW, ms: SCROLL_MS, step: STEP_PX });

    const js = gzippedJs(WEB_ROOT);
    const dropped = r.frames.filter((f) => f > 20).length;
    const fmt = (x) => x.toFixed(1);
    console.log(`first row visible:      ${fmt(firstRowMs)} ms after navigation`);
    console.log(`frames while scrolling: ${r.frames.length} in ${SCROLL_MS} ms at ${STEP_PX} px/frame ` +
      `(scrolled to ${Math.round(r.scrollTop)} px)`);
    console.log(`frame time:             median ${fmt(pct(r.frames, 50))} ms, p95 ${fmt(pct(r.frames, 95))} ms, ` +
      `p99 ${fmt(pct(r.frames, 99))} ms, max ${fmt(Math.max(...r.frames))} ms`);
    console.log(`dropped frames (>20ms): ${dropped} (${fmt((100 * dropped) / Math.max(1, r.frames.length))}%)`);
    console.log(`long tasks (>50ms):     ${r.longTasks.length}, ${fmt(r.longTasks.reduce((a, b) => a + b, 0))} ms in all`);
    console.log(`rows loaded from API:   ${rowsLoaded} in ${pages} pages; ${r.rendered} rows in the DOM at the end`);
    console.log(`gzipped JS in web/dist: ${(js.total / 1024).toFixed(1)} KB in ${js.files} files`);
    if (page.errors.length) console.log(`page errors: ${page.errors.join(' | ')}`);
  } finally {
    await browser?.close().catch(() => {});
    await demo.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
