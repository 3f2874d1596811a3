// The live stream (GET /api/v1/stream, Server-Sent Events; notify_api.cpp): frames
//   id: <seq>\nevent: warning|incident\ndata: {…, "event": "warning.created", "ref": "warning:12"}
// and, when resuming from before the oldest kept event, `event: reset` with {"first_kept": N}:
// what came between is lost and views must reload. One EventSource for the whole app.

export type StreamKind = 'warning' | 'incident';

export interface StreamEvent {
  seq: number;
  kind: StreamKind;
  /** e.g. warning.created, incident.created, incident.status, incident.sla_breach */
  event: string;
  ref: string;
  data: Record<string, unknown>;
  receivedAt: number;
}

export interface StreamState {
  events: StreamEvent[]; // newest first, at most `keep`
  lastSeq: number;
  resets: number; // bumped on every `event: reset`; views reload when it changes
  connected: boolean;
}

export type StreamAction =
  | { type: 'event'; event: StreamEvent }
  | { type: 'reset'; firstKept: number }
  | { type: 'connected'; connected: boolean };

export const initialStreamState: StreamState = { events: [], lastSeq: 0, resets: 0, connected: false };

export function streamReducer(state: StreamState, action: StreamAction, keep = 50): StreamState {
  switch (action.type) {
    case 'connected':
      return state.connected === action.connected ? state : { ...state, connected: action.connected };
    case 'reset':
      // The events kept so far are no longer known to be complete: drop them and resume after
      // what the server still has.
      return { ...state, events: [], resets: state.resets + 1, lastSeq: Math.max(0, action.firstKept - 1) };
    case 'event': {
      const e = action.event;
      if (e.seq > 0 && e.seq <= state.lastSeq) return state; // a replay after reconnecting
      const events = [e, ...state.events].slice(0, keep);
      return { ...state, events, lastSeq: Math.max(state.lastSeq, e.seq) };
    }
  }
}

/** Parses one SSE message (from EventSource) into a StreamEvent; null when it is not one. */
export function parseStreamMessage(kind: string, lastEventId: string, data: string, now = Date.now()): StreamEvent | null {
  if (kind !== 'warning' && kind !== 'incident') return null;
  let body: Record<string, unknown>;
  try {
    const v = JSON.parse(data) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
    body = v as Record<string, unknown>;
  } catch {
    return null;
  }
  const seq = Number.parseInt(lastEventId, 10);
  return {
    seq: Number.isFinite(seq) ? seq : 0,
    kind,
    event: typeof body.event === 'string' ? body.event : `${kind}.created`,
    ref: typeof body.ref === 'string' ? body.ref : '',
    data: body,
    receivedAt: now,
  };
}

/** The console link of a stream event: /warnings/ID or /incidents/ID. */
export function streamEventLink(e: StreamEvent): string | null {
  const id = e.data.id;
  if (typeof id !== 'number' && typeof id !== 'string') return null;
  return e.kind === 'warning' ? `/warnings/${id}` : `/incidents/${id}`;
}

// ---- The shared connection ----

type Listener = (s: StreamState, last: StreamAction | null) => void;

class StreamManager {
  state: StreamState = initialStreamState;
  private es: EventSource | null = null;
  private listeners = new Set<Listener>();
  private retryTimer: number | undefined;
  private backoff = 1000;

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    if (this.listeners.size === 1) this.open();
    return () => {
      this.listeners.delete(l);
      if (this.listeners.size === 0) this.close();
    };
  }

  dispatch(a: StreamAction) {
    this.state = streamReducer(this.state, a);
    for (const l of this.listeners) l(this.state, a);
  }

  private open() {
    if (typeof EventSource === 'undefined' || this.es) return;
    const url = this.state.lastSeq > 0 ? `/api/v1/stream?after=${this.state.lastSeq}` : '/api/v1/stream';
    const es = new EventSource(url, { withCredentials: true });
    this.es = es;
    es.onopen = () => {
      this.backoff = 1000;
      this.dispatch({ type: 'connected', connected: true });
    };
    const onMessage = (kind: StreamKind) => (m: MessageEvent<string>) => {
      const e = parseStreamMessage(kind, m.lastEventId, m.data);
      if (e) this.dispatch({ type: 'event', event: e });
    };
    es.addEventListener('warning', onMessage('warning') as EventListener);
    es.addEventListener('incident', onMessage('incident') as EventListener);
    es.addEventListener('reset', ((m: MessageEvent<string>) => {
      let firstKept = 0;
      try {
        firstKept = Number((JSON.parse(m.data) as { first_kept?: number }).first_kept) || 0;
      } catch {
        /* a reset without data still resets */
      }
      this.dispatch({ type: 'reset', firstKept });
    }) as EventListener);
    es.onerror = () => {
      this.dispatch({ type: 'connected', connected: false });
      // EventSource retries by itself unless the server refused (401, 503): then we do, later.
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        this.es = null;
        window.clearTimeout(this.retryTimer);
        this.retryTimer = window.setTimeout(() => {
          if (this.listeners.size > 0) this.open();
        }, this.backoff);
        this.backoff = Math.min(this.backoff * 2, 60_000);
      }
    };
  }

  private close() {
    window.clearTimeout(this.retryTimer);
    this.es?.close();
    this.es = null;
    this.dispatch({ type: 'connected', connected: false });
  }
}

export const streamManager = new StreamManager();
