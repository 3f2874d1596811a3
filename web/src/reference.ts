// Provinces and sectors: GET /api/v1/reference, or the bundled copy of config/reference when
// the server does not have the route (404) or cannot be reached.
import { useEffect, useState } from 'react';
import { api } from './api';
import type { Lang } from './i18n';
import type { RefItem, Reference } from './api';
import bundled from './data/reference.json';

export const BUNDLED_REFERENCE: Reference = bundled as Reference;

let cached: Reference | null = null;
let inflight: Promise<Reference> | null = null;

export function loadReference(): Promise<Reference> {
  if (cached) return Promise.resolve(cached);
  inflight ??= api<Reference>('/api/v1/reference', { no401Redirect: true })
    .then((r) => (r && Array.isArray(r.provinces) && r.provinces.length ? r : BUNDLED_REFERENCE))
    .catch(() => BUNDLED_REFERENCE)
    .then((r) => (cached = r));
  return inflight;
}

export function useReference(): Reference {
  const [ref, setRef] = useState<Reference>(cached ?? BUNDLED_REFERENCE);
  useEffect(() => {
    let live = true;
    void loadReference().then((r) => live && setRef(r));
    return () => {
      live = false;
    };
  }, []);
  return ref;
}

/** A province or sector by its code ("01") or id ("ha-noi"). */
export function findRef(items: RefItem[], key: string | undefined | null): RefItem | undefined {
  if (!key) return undefined;
  return items.find((x) => x.code === key || x.id === key);
}

export function refName(item: RefItem | undefined, lang: Lang, fallback = ''): string {
  if (!item) return fallback;
  return lang === 'vi' ? item.name_vi : item.name;
}
