// The console's languages: a tiny store (no provider) read with useSyncExternalStore, persisted
// in localStorage. Vietnamese is the default.
import { useCallback, useSyncExternalStore } from 'react';
import { en } from './en';
import { fmtDate, fmtDateTime, fmtNumber, fmtRelative, type Lang } from './format';
import { vi, type MessageKey } from './vi';

export type { Lang, MessageKey };
export { fmtDate, fmtDateTime, fmtNumber, fmtRelative, fmtDuration, LOCALES } from './format';

export const DICTIONARIES: Record<Lang, Record<MessageKey, string>> = { vi, en };
const STORAGE_KEY = 'lachan.lang';

function initialLang(): Lang {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (v === 'vi' || v === 'en') return v;
  } catch {
    /* storage may be unavailable (private mode); Vietnamese then */
  }
  return 'vi';
}

let current: Lang = initialLang();
const listeners = new Set<() => void>();

export function getLang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  if (l === current) return;
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    /* not persisted; still switched */
  }
  if (typeof document !== 'undefined') document.documentElement.lang = l;
  for (const f of listeners) f();
}

function subscribe(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

export type Params = Record<string, string | number>;

/** Looks a key up and fills {name} placeholders; numbers are formatted for the language. */
export function translate(lang: Lang, key: MessageKey | string, params?: Params): string {
  const dict = DICTIONARIES[lang] as Record<string, string>;
  let s = dict[key] ?? (DICTIONARIES.vi as Record<string, string>)[key] ?? key;
  if (params)
    s = s.replace(/\{(\w+)\}/g, (m, name: string) => {
      const v = params[name];
      if (v === undefined) return m;
      return typeof v === 'number' ? fmtNumber(v, lang) : v;
    });
  return s;
}

export interface T {
  (key: MessageKey | string, params?: Params): string;
  lang: Lang;
  num: (n: number | null | undefined) => string;
  date: (v: string | number | Date | null | undefined) => string;
  dateTime: (v: string | number | Date | null | undefined) => string;
  relative: (v: string | number | Date | null | undefined) => string;
}

export function makeT(lang: Lang): T {
  const t = ((key: MessageKey | string, params?: Params) => translate(lang, key, params)) as T;
  t.lang = lang;
  t.num = (n) => fmtNumber(n, lang);
  t.date = (v) => fmtDate(v, lang);
  t.dateTime = (v) => fmtDateTime(v, lang);
  t.relative = (v) => fmtRelative(v, lang);
  return t;
}

const cache: Partial<Record<Lang, T>> = {};

export function useLang(): [Lang, (l: Lang) => void] {
  const lang = useSyncExternalStore(subscribe, getLang, getLang);
  return [lang, useCallback((l: Lang) => setLang(l), [])];
}

/** `const t = useT(); t('nav.overview'); t.num(12345); t.dateTime(iso)`. */
export function useT(): T {
  const [lang] = useLang();
  return (cache[lang] ??= makeT(lang));
}
