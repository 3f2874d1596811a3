// Locale-aware formatters (Intl). Vietnamese uses "." as the thousands separator and day-first
// dates; English uses en-GB.
export type Lang = 'vi' | 'en';
export const LOCALES: Record<Lang, string> = { vi: 'vi-VN', en: 'en-GB' };

function toDate(v: string | number | Date | null | undefined): Date | null {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function fmtNumber(n: number | null | undefined, lang: Lang): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return new Intl.NumberFormat(LOCALES[lang]).format(n);
}

export function fmtDate(v: string | number | Date | null | undefined, lang: Lang, timeZone?: string): string {
  const d = toDate(v);
  if (!d) return '—';
  return new Intl.DateTimeFormat(LOCALES[lang], { day: '2-digit', month: '2-digit', year: 'numeric', timeZone }).format(d);
}

export function fmtDateTime(v: string | number | Date | null | undefined, lang: Lang, timeZone?: string): string {
  const d = toDate(v);
  if (!d) return '—';
  return new Intl.DateTimeFormat(LOCALES[lang], {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZone,
  }).format(d);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "3 phút trước" / "3 minutes ago"; `now` injectable for tests. */
export function fmtRelative(v: string | number | Date | null | undefined, lang: Lang, now: number = Date.now()): string {
  const d = toDate(v);
  if (!d) return '—';
  const secs = Math.round((d.getTime() - now) / 1000);
  const abs = Math.abs(secs);
  const rtf = new Intl.RelativeTimeFormat(LOCALES[lang], { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (abs >= size || unit === 'second') return rtf.format(Math.trunc(secs / size), unit);
  }
  return rtf.format(0, 'second');
}

/** A duration in ms as "2 g 05 ph" style compact text: "1d 02:05", "02:05:09". */
export function fmtDuration(ms: number): string {
  const total = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (x: number) => String(x).padStart(2, '0');
  if (d > 0) return `${d}d ${pad(h)}:${pad(m)}`;
  return `${pad(h)}:${pad(m)}:${pad(s)}`;
}
