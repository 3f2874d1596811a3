import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { api, ApiError, type Query } from '../api';
import { streamManager, type StreamAction, type StreamEvent, type StreamState } from '../stream';

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload: () => void;
  setData: (d: T) => void;
}

/**
 * GET a path (null: not yet) and keep the answer; refetches when the path or query change,
 * aborting the request in flight.
 */
export function useApi<T>(path: string | null, query?: Query): ApiState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const key = path === null ? null : path + JSON.stringify(query ?? {});
  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    setLoading(true);
    setError(undefined);
    api<T>(path, { query, signal: ctl.signal })
      .then((d) => {
        setData(d);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        setError(e instanceof Error ? e : new Error(String(e)));
        setLoading(false);
      });
    return () => ctl.abort();
  }, [key, tick]); // eslint-disable-line react-hooks/exhaustive-deps
  const reload = useCallback(() => setTick((x) => x + 1), []);
  return { data, error, loading, reload, setData };
}

const subscribeStream = (f: () => void) => streamManager.subscribe(() => f());
const getStreamState = () => streamManager.state;

/** The live stream's state (last events, connection, reset counter); opens it while used. */
export function useStream(): StreamState {
  return useSyncExternalStore(subscribeStream, getStreamState, getStreamState);
}

/** Calls `onEvent` for each new stream event and `onReset` on `event: reset`. */
export function useStreamEvents(onEvent: (e: StreamEvent) => void, onReset?: () => void): void {
  const ref = useRef({ onEvent, onReset });
  ref.current = { onEvent, onReset };
  useEffect(
    () =>
      streamManager.subscribe((_s: StreamState, a: StreamAction | null) => {
        if (a?.type === 'event') ref.current.onEvent(a.event);
        else if (a?.type === 'reset') ref.current.onReset?.();
      }),
    [],
  );
}

/** Re-renders every `ms` (countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(id);
  }, [ms]);
  return now;
}
