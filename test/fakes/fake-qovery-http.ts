import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';

/** How an error reaches the client: Qovery's JSON, or what a proxy in front of it may send. */
export type ErrorBodyKind = 'json' | 'empty' | 'html';

export interface ErrorReply {
  status: number;
  detail?: string;
  body?: ErrorBodyKind;
  retryAfter?: string;
}

// Loose 8-4-4-4-12 hex, like java.util.UUID.fromString: version and variant bits are not checked.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

const DEFAULT_DETAILS: Record<number, string> = {
  400: 'Bad request',
  401: 'Access token is missing or invalid',
  403: 'Access forbidden',
  404: 'Resource not found',
  409: 'Operation is in progress',
};

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parsed JSON when the text is JSON, else the raw text, so a test sees exactly what was sent. */
export function parseBody(raw: string): unknown {
  if (raw === '') return '';
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

// A client may have gone away (aborted, or close() destroyed the socket) before we answer.
const gone = (res: ServerResponse): boolean => res.destroyed || res.writableEnded || !res.socket || res.socket.destroyed;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (gone(res)) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, reply: ErrorReply): void {
  if (gone(res)) return;
  const headers: Record<string, string> = reply.retryAfter ? { 'retry-after': reply.retryAfter } : {};
  const reason = STATUS_CODES[reply.status] ?? 'Error';
  const kind = reply.body ?? 'json';
  if (kind === 'json') {
    const detail = reply.detail ?? DEFAULT_DETAILS[reply.status] ?? reason;
    if (reply.retryAfter) res.setHeader('retry-after', reply.retryAfter);
    sendJson(res, reply.status, { status: reply.status, detail });
    return;
  }
  if (kind === 'empty') {
    res.writeHead(reply.status, { ...headers, 'content-length': 0 });
    res.end();
    return;
  }
  // What nginx or a cloud load balancer answers when the API behind it is down.
  const html = `<html><head><title>${reply.status} ${reason}</title></head><body><center><h1>${reply.status} ${reason}</h1></center><hr><center>nginx</center></body></html>`;
  res.writeHead(reply.status, { ...headers, 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}
