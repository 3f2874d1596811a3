// Writes a .gz copy beside every compressible file in dist/ (lachan serve sends it when the
// client accepts gzip). node:zlib only, no dependency.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';

const root = new URL('../dist/', import.meta.url).pathname;
const exts = /\.(js|css|html|json|webmanifest|svg|map|txt)$/;
let n = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (exts.test(name)) {
      writeFileSync(p + '.gz', gzipSync(readFileSync(p), { level: constants.Z_BEST_COMPRESSION }));
      n++;
    }
  }
}
walk(root);
console.log(`compress: ${n} files gzipped`);
