// Writes public/icon-192.png and icon-512.png (the shield of icon.svg, drawn by hand) with
// node:zlib only. Run once: node scripts/make-icons.mjs (the PNGs are committed).
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size) {
  const bg = [0x0f, 0x3d, 0x63], shield = [0x1d, 0x6f, 0xb8], white = [255, 255, 255];
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const u = x / size, v = y / size; // 0..1
      let c = bg;
      // shield: top band 0.16..0.5, tapering to a point at 0.86
      const half = v < 0.5 ? 0.28 : 0.28 * Math.max(0, (0.86 - v) / 0.36);
      const inShield = v > 0.14 && v < 0.86 && Math.abs(u - 0.5) < half;
      if (inShield) c = shield;
      // the L: vertical 0.37..0.45 from v 0.32..0.66, horizontal to u 0.63
      if ((u > 0.37 && u < 0.45 && v > 0.32 && v < 0.66) || (u > 0.37 && u < 0.63 && v > 0.58 && v < 0.66)) c = white;
      const o = y * (size * 3 + 1) + 1 + x * 3;
      raw[o] = c[0]; raw[o + 1] = c[1]; raw[o + 2] = c[2];
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
for (const s of [192, 512]) writeFileSync(new URL(`../public/icon-${s}.png`, import.meta.url), png(s));
console.log('icons written');
