/** One Server-Sent Event as a client reads it. */
export interface ReceivedEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

export interface EventStreamClient {
  readonly status: number;
  readonly headers: Headers;
  /** Every event received so far, in order. */
  readonly events: ReceivedEvent[];
  /** Resolves once the server has ended the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/**
 * Reads `GET /events` over a real HTTP connection with `fetch`, as the dashboard does, and parses
 * the text/event-stream framing (fields, comments, blank-line dispatch) per the WHATWG spec.
 */
export async function openEventStream(url: string, headers: Record<string, string>): Promise<EventStreamClient> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: ReceivedEvent[] = [];
  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    let current: { id?: string; event?: string; data: string[] } = { data: [] };
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let newline: number;
        while ((newline = buffer.search(/\r?\n/)) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + (buffer[newline] === '\r' ? 2 : 1));
          if (line === '') {
            if (current.data.length > 0 || current.event !== undefined) {
              events.push({ ...(current.id !== undefined && { id: current.id }), event: current.event ?? 'message', data: current.data.join('\n') });
            }
            current = { data: [] };
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') current.data.push(value);
          else if (field === 'event') current.event = value;
          else if (field === 'id') current.id = value;
        }
      }
    } catch {
      // Aborted by close(): the events read so far stay.
    }
  })();
  return { status: response.status, headers: response.headers, events, ended, close: () => abort.abort() };
}
