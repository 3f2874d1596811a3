import { describe, expect, it } from 'vitest';
import { initialStreamState, parseStreamMessage, streamEventLink, streamReducer, type StreamEvent } from './stream';

const ev = (seq: number, kind: 'warning' | 'incident' = 'warning'): StreamEvent => ({
  seq, kind, event: `${kind}.created`, ref: `${kind}:${seq}`, data: { id: seq }, receivedAt: 0,
});

describe('streamReducer', () => {
  it('keeps the newest first, bounded, and tracks the last id', () => {
    let s = initialStreamState;
    for (let i = 1; i <= 30; i++) s = streamReducer(s, { type: 'event', event: ev(i) }, 20);
    expect(s.events).toHaveLength(20);
    expect(s.events[0].seq).toBe(30);
    expect(s.events[19].seq).toBe(11);
    expect(s.lastSeq).toBe(30);
  });
  it('ignores replays after a reconnect', () => {
    let s = streamReducer(initialStreamState, { type: 'event', event: ev(5) });
    const before = s;
    s = streamReducer(s, { type: 'event', event: ev(5) });
    s = streamReducer(s, { type: 'event', event: ev(3) });
    expect(s).toBe(before);
  });
  it('on reset drops the held events, counts the reset and resumes after the first kept', () => {
    let s = streamReducer(initialStreamState, { type: 'event', event: ev(7) });
    s = streamReducer(s, { type: 'reset', firstKept: 120 });
    expect(s.events).toEqual([]);
    expect(s.resets).toBe(1);
    expect(s.lastSeq).toBe(119);
    s = streamReducer(s, { type: 'event', event: ev(100) });
    expect(s.events).toEqual([]); // older than what the server kept: a stale frame
    s = streamReducer(s, { type: 'event', event: ev(120) });
    expect(s.events.map((e) => e.seq)).toEqual([120]);
  });
  it('tracks the connection without new state when unchanged', () => {
    const s = streamReducer(initialStreamState, { type: 'connected', connected: false });
    expect(s).toBe(initialStreamState);
    expect(streamReducer(s, { type: 'connected', connected: true }).connected).toBe(true);
  });
});

describe('parseStreamMessage', () => {
  it('reads the server frame', () => {
    const e = parseStreamMessage('warning', '42', '{"id":9,"title":"SSH brute force","event":"warning.created","ref":"warning:9"}', 1);
    expect(e).toMatchObject({ seq: 42, kind: 'warning', event: 'warning.created', ref: 'warning:9' });
    expect(streamEventLink(e!)).toBe('/warnings/9');
    const i = parseStreamMessage('incident', '43', '{"id":3,"event":"incident.status"}')!;
    expect(streamEventLink(i)).toBe('/incidents/3');
  });
  it('rejects other kinds and broken data', () => {
    expect(parseStreamMessage('reset', '1', '{}')).toBeNull();
    expect(parseStreamMessage('warning', '1', 'not json')).toBeNull();
    expect(parseStreamMessage('warning', '1', '[1]')).toBeNull();
  });
});
