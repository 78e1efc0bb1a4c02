import type { RelayEvent } from '../../src/events/schema.js';
import { authHeaders } from './api.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface LiveHandlers {
  onEvent(event: RelayEvent): void;
  /** The relay no longer keeps the events since the last one seen: reload what is shown. */
  onReset(): void;
  onState(state: LiveState): void;
}

/**
 * `GET /events` read with fetch (EventSource cannot send the bearer token), parsed as
 * text/event-stream, reconnecting with Last-Event-ID after a drop so nothing is missed.
 */
export function connectLive(token: string, handlers: LiveHandlers): () => void {
  const abort = new AbortController();
  let lastEventId: string | undefined;
  let delayMs = 500;

  function dispatch(frame: { id?: string; event?: string; data: string[] }): void {
    if (frame.id) lastEventId = frame.id;
    if (frame.event === 'reset') handlers.onReset();
    else if (frame.event !== undefined && frame.data.length > 0) handlers.onEvent(JSON.parse(frame.data.join('\n')) as RelayEvent);
  }

  async function readOnce(): Promise<'ended' | 'refused'> {
    const headers: Record<string, string> = { ...authHeaders(token), accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const response = await fetch('/events', { headers, signal: abort.signal });
    if (response.status === 401) return 'refused';
    if (!response.ok || !response.body) throw new Error(`GET /events answered ${response.status}`);
    handlers.onState('live');
    delayMs = 500;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let frame: { id?: string; event?: string; data: string[] } = { data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'ended';
      buffer += value;
      const lines = buffer.split(/\r?\n/);
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') {
          dispatch(frame);
          frame = { data: [] };
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') frame.data.push(text);
          else if (field === 'event') frame.event = text;
          else if (field === 'id') frame.id = text;
        }
      }
    }
  }

  void (async () => {
    handlers.onState('connecting');
    while (!abort.signal.aborted) {
      try {
        if ((await readOnce()) === 'refused') {
          handlers.onState('refused');
          return;
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      handlers.onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 10_000);
    }
  })();
  return () => abort.abort();
}
