// Fails the build when the gzipped JavaScript in dist/ exceeds the budget; prints the figure.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';

const BUDGET = 400 * 1024;
const root = new URL('../dist/', import.meta.url).pathname;
let total = 0;
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.js')) {
      const gz = gzipSync(readFileSync(p), { level: constants.Z_BEST_COMPRESSION }).length;
      total += gz;
      files.push([p.slice(root.length), gz]);
    }
  }
}
walk(root);
files.sort((a, b) => b[1] - a[1]);
for (const [f, gz] of files.slice(0, 8)) console.log(`  ${(gz / 1024).toFixed(1).padStart(7)} KB  ${f}`);
const kb = (total / 1024).toFixed(1);
if (total > BUDGET) {
  console.error(`size-check: gzipped JS ${kb} KB exceeds the budget of ${BUDGET / 1024} KB`);
  process.exit(1);
}
console.log(`size-check: gzipped JS ${kb} KB of ${BUDGET / 1024} KB (${files.length} files)`);
