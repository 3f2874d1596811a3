// The warning queue's page loader: pages of `pageSize` fetched by cursor as the person scrolls,
// never the whole list. A filter change starts a new generation: an answer to an older one is
// dropped, so rows of two filters never mix. Rows already held are not added twice (a warning
// may move between pages while the list changes under us).
import type { Page } from '../api';

export type FetchPage<T, Q> = (query: Q, cursor: string | null, limit: number, signal: AbortSignal) => Promise<Page<T>>;

export interface PagerState<T> {
  items: T[];
  loading: boolean;
  done: boolean;
  error: Error | null;
  version: number;
}

export class Pager<T extends { id: number }, Q> {
  private items: T[] = [];
  private ids = new Set<number>();
  private cursor: string | null = null;
  private done = false;
  private loading = false;
  private error: Error | null = null;
  private generation = 0;
  private ctl: AbortController | null = null;
  private version = 0;
  private snapshot: PagerState<T>;
  private listeners = new Set<() => void>();

  constructor(
    private readonly fetchPage: FetchPage<T, Q>,
    private query: Q,
    readonly pageSize = 200,
  ) {
    this.snapshot = this.makeSnapshot();
  }

  private makeSnapshot(): PagerState<T> {
    return { items: this.items, loading: this.loading, done: this.done, error: this.error, version: this.version };
  }

  private changed() {
    this.version++;
    this.snapshot = this.makeSnapshot();
    for (const l of this.listeners) l();
  }

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getState = (): PagerState<T> => this.snapshot;

  /** New filters: forget everything, abort the page in flight, load the first page. */
  setQuery(q: Q): Promise<void> {
    this.query = q;
    return this.reload();
  }

  reload(): Promise<void> {
    this.generation++;
    this.ctl?.abort();
    this.ctl = null;
    this.items = [];
    this.ids = new Set();
    this.cursor = null;
    this.done = false;
    this.loading = false;
    this.error = null;
    this.changed();
    return this.loadMore();
  }

  /** Loads the next page unless one is loading, the end was reached, or the last one failed. */
  async loadMore(): Promise<void> {
    if (this.loading || this.done || this.error) return;
    const gen = this.generation;
    const ctl = new AbortController();
    this.ctl = ctl;
    this.loading = true;
    this.error = null;
    this.changed();
    try {
      const page = await this.fetchPage(this.query, this.cursor, this.pageSize, ctl.signal);
      if (gen !== this.generation) return; // filters changed meanwhile
      const fresh = page.items.filter((x) => !this.ids.has(x.id));
      for (const x of fresh) this.ids.add(x.id);
      this.items = fresh.length ? [...this.items, ...fresh] : this.items;
      const next = page.next_cursor ?? null;
      // The end: no cursor, an empty page, or a cursor that does not move.
      this.done = !next || page.items.length === 0 || next === this.cursor;
      this.cursor = next;
    } catch (e) {
      if (gen !== this.generation) return;
      this.error = e instanceof Error ? e : new Error(String(e));
    } finally {
      if (gen === this.generation) {
        this.loading = false;
        this.ctl = null;
        this.changed();
      }
    }
  }

  /** After an error: try the same page again. */
  retry(): Promise<void> {
    this.error = null;
    return this.loadMore();
  }

  /** Replaces held rows by id (after a status change) without reloading. */
  patch(updated: Array<Partial<T> & { id: number }>): void {
    const byId = new Map(updated.map((u) => [u.id, u]));
    let any = false;
    this.items = this.items.map((x) => {
      const u = byId.get(x.id);
      if (!u) return x;
      any = true;
      return { ...x, ...u };
    });
    if (any) this.changed();
  }

  get hasError(): boolean {
    return this.error !== null;
  }
}
