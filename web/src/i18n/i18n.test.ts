import { describe, expect, it } from 'vitest';
import { en } from './en';
import { fmtDate, fmtDateTime, fmtDuration, fmtNumber, fmtRelative } from './format';
import { translate } from './index';
import { vi } from './vi';

describe('dictionaries', () => {
  it('have the same keys in Vietnamese and English', () => {
    const v = Object.keys(vi).sort();
    const e = Object.keys(en).sort();
    expect(v.filter((k) => !e.includes(k))).toEqual([]);
    expect(e.filter((k) => !v.includes(k))).toEqual([]);
  });
  it('have no empty messages', () => {
    for (const [k, s] of [...Object.entries(vi), ...Object.entries(en)]) expect(s.trim(), k).not.toBe('');
  });
  it('use the same placeholders in both languages', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join();
    for (const k of Object.keys(vi) as (keyof typeof vi)[]) expect(ph(en[k]), k).toBe(ph(vi[k]));
  });
});

describe('translate', () => {
  it('fills placeholders and formats numbers per language', () => {
    expect(translate('vi', 'warnings.total', { n: 12345 })).toBe('12.345 cảnh báo');
    expect(translate('en', 'warnings.total', { n: 12345 })).toBe('12,345 warnings');
  });
  it('falls back to the key when unknown', () => {
    expect(translate('en', 'no.such.key')).toBe('no.such.key');
  });
});

describe('formatters', () => {
  it('formats Vietnamese numbers with dots', () => {
    expect(fmtNumber(1234567, 'vi')).toBe('1.234.567');
    expect(fmtNumber(1234567, 'en')).toBe('1,234,567');
    expect(fmtNumber(undefined, 'vi')).toBe('—');
  });
  it('formats dates day first', () => {
    const d = '2026-03-04T05:06:00Z';
    expect(fmtDate(d, 'vi', 'UTC')).toBe('04/03/2026');
    expect(fmtDate(d, 'en', 'UTC')).toBe('04/03/2026');
    expect(fmtDateTime(d, 'vi', 'UTC')).toContain('05:06');
    expect(fmtDateTime(d, 'vi', 'UTC')).toContain('04/03/2026');
    expect(fmtDate('not a date', 'vi')).toBe('—');
  });
  it('formats relative times', () => {
    const now = Date.parse('2026-03-04T05:06:00Z');
    expect(fmtRelative(now - 3 * 60_000, 'en', now)).toBe('3 minutes ago');
    expect(fmtRelative(now - 3 * 60_000, 'vi', now)).toBe('3 phút trước');
    expect(fmtRelative(now + 2 * 3600_000, 'en', now)).toBe('in 2 hours');
  });
  it('formats durations', () => {
    expect(fmtDuration(65_000)).toBe('00:01:05');
    expect(fmtDuration(-65_000)).toBe('00:01:05');
    expect(fmtDuration(26 * 3600_000 + 5 * 60_000)).toBe('1d 02:05');
  });
});
