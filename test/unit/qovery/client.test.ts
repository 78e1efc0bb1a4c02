import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizationHeader, createQoveryClient } from '../../../src/qovery/client.js';
import { describeErrorBody, parseRetryAfter } from '../../../src/qovery/errors.js';

const JOB_ID = '00000000-0000-4000-8000-000000000001';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyZWxheSJ9.c2lnbmF0dXJl';

describe('describeErrorBody', () => {
  it("gives Qovery's detail from a JSON {status, detail} body", () => {
    expect(describeErrorBody(404, 'application/json', '{"status":404,"detail":"Job not found"}')).toBe('Job not found');
  });

  it('reads a JSON body even when the content type does not say so', () => {
    expect(describeErrorBody(400, null, ' {"message":"image_tag is required"} ')).toBe('image_tag is required');
  });

  it('says the body was empty', () => {
    expect(describeErrorBody(502, 'text/plain', '')).toBe('HTTP 502 with an empty body');
    expect(describeErrorBody(502, null, '  \n')).toBe('HTTP 502 with an empty body');
  });

  it("names an HTML page by its title, such as a proxy's error page", () => {
    const page = '<!DOCTYPE html><html><head><title> 503 Service Temporarily Unavailable </title></head><body>nginx</body></html>';
    expect(describeErrorBody(503, 'text/html; charset=utf-8', page)).toBe('HTTP 503 with an HTML page titled "503 Service Temporarily Unavailable"');
    expect(describeErrorBody(503, null, page)).toBe('HTTP 503 with an HTML page titled "503 Service Temporarily Unavailable"');
  });

  it('says an HTML page without a title is an HTML page', () => {
    expect(describeErrorBody(500, 'text/html', '<html><body>oops</body></html>')).toBe('HTTP 500 with an HTML page');
  });

  it('quotes plain text, cut at 200 characters', () => {
    expect(describeErrorBody(503, 'text/plain', 'upstream connect error')).toBe('HTTP 503: upstream connect error');
    expect(describeErrorBody(500, 'text/plain', 'x'.repeat(500))).toBe(`HTTP 500: ${'x'.repeat(200)}`);
  });

  it('quotes a JSON body that has no detail, and a body that only claims to be JSON', () => {
    expect(describeErrorBody(500, 'application/json', '{"status":500}')).toBe('HTTP 500: {"status":500}');
    expect(describeErrorBody(500, 'application/json', 'not json')).toBe('HTTP 500: not json');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');

  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now)).toBe(30_000);
  });

  it('reads an HTTP date in the past as no wait', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:00:00 GMT', now)).toBe(0);
  });

  it('ignores garbage and an absent header', () => {
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('authorizationHeader', () => {
  it('sends a Qovery API token as Token', () => {
    expect(authorizationHeader('qov_abc123')).toBe('Token qov_abc123');
  });

  it('sends a JWT-shaped token (three base64url parts) as Bearer', () => {
    expect(authorizationHeader(JWT)).toBe(`Bearer ${JWT}`);
  });

  it('does not take a token with two parts or other characters for a JWT', () => {
    expect(authorizationHeader('abc.def')).toBe('Token abc.def');
    expect(authorizationHeader('a+b.c.d')).toBe('Token a+b.c.d');
  });
});

interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

describe('createQoveryClient against a real HTTP server', () => {
  let server: Server | undefined;

  afterEach(async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  });

  /** Starts a server answering with `handler`; returns its URL and what it received. */
  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
    const seen: Seen[] = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        handler(req, res);
      });
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`, seen };
  }

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  }

  it('returns the Status body of a 202 and sends the deploy as Qovery expects it', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 202, { id: JOB_ID, state: 'DEPLOYMENT_QUEUED', deployment_request_id: 'req-1' }));
    const client = createQoveryClient({ baseUrl: `${url}/`, token: 'qov_abc123', timeoutMs: 2000 });

    const result = await client.deploy({ target: { kind: 'job', id: JOB_ID }, forceEvent: 'STOP', imageTag: 'v1.2.3' });

    expect(result).toEqual({ ok: true, httpStatus: 202, status: { id: JOB_ID, state: 'DEPLOYMENT_QUEUED', deployment_request_id: 'req-1' } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: `/job/${JOB_ID}/deploy?forceEvent=STOP`, body: '{"image_tag":"v1.2.3"}' });
    expect(seen[0]?.headers).toMatchObject({ authorization: 'Token qov_abc123', 'content-type': 'application/json', accept: 'application/json' });
  });

  it('sends git_commit_id for a commit deploy and a JWT as Bearer', async () => {
    const { url, seen } = await serve((_req, res) => res.writeHead(202).end());
    const client = createQoveryClient({ baseUrl: url, token: JWT, timeoutMs: 2000 });

    expect(await client.deploy({ target: { kind: 'job', id: JOB_ID }, gitCommitId: 'abc123' })).toEqual({ ok: true, httpStatus: 202 });
    expect(seen[0]).toMatchObject({ url: `/job/${JOB_ID}/deploy`, body: '{"git_commit_id":"abc123"}' });
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${JWT}`);
  });

  it('reads the job status with a GET', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 200, { id: JOB_ID, state: 'DEPLOYING', status_details: { action: 'DEPLOY' } }));
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000 });

    expect(await client.getStatus({ kind: 'job', id: JOB_ID })).toEqual({
      ok: true,
      httpStatus: 200,
      status: { id: JOB_ID, state: 'DEPLOYING', status_details: { action: 'DEPLOY' } },
    });
    expect(seen[0]).toMatchObject({ method: 'GET', url: `/job/${JOB_ID}/status`, body: '' });
  });

  it('answers a 2xx whose body is not a Status as success without a status', async () => {
    const { url } = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000 });
    expect(await client.getStatus({ kind: 'job', id: JOB_ID })).toEqual({ ok: true, httpStatus: 200 });
  });

  it('classifies a 503 as a retryable HTTP failure whose outcome is unknown: a proxy may send it after Qovery acted', async () => {
    const { url } = await serve((_req, res) =>
      res.writeHead(503, { 'content-type': 'text/html' }).end('<html><head><title>Service Unavailable</title></head></html>'),
    );
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000 });

    expect(await client.deploy({ target: { kind: 'job', id: JOB_ID }, imageTag: 'v1' })).toEqual({
      ok: false,
      kind: 'http',
      outcome: 'unknown',
      retryable: true,
      httpStatus: 503,
      detail: 'HTTP 503 with an HTML page titled "Service Unavailable"',
    });
  });

  it('classifies a 409 (operation in progress) as retryable and refused: Qovery did not act', async () => {
    const { url } = await serve((_req, res) => json(res, 409, { status: 409, detail: 'a deployment is already running' }));
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000 });
    expect(await client.deploy({ target: { kind: 'job', id: JOB_ID }, imageTag: 'v1' })).toMatchObject({
      ok: false,
      outcome: 'refused',
      retryable: true,
      httpStatus: 409,
      detail: 'a deployment is already running',
    });
  });

  it("classifies a 404 as not retryable, with Qovery's detail", async () => {
    const { url } = await serve((_req, res) => json(res, 404, { status: 404, detail: 'Job not found' }));
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000 });

    expect(await client.deploy({ target: { kind: 'job', id: JOB_ID }, imageTag: 'v1' })).toEqual({
      ok: false,
      kind: 'http',
      outcome: 'refused',
      retryable: false,
      httpStatus: 404,
      detail: 'Job not found',
    });
  });

  it('classifies a 401 with an empty body as not retryable', async () => {
    const { url } = await serve((_req, res) => res.writeHead(401).end());
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000 });
    expect(await client.getStatus({ kind: 'job', id: JOB_ID })).toEqual({
      ok: false,
      kind: 'http',
      outcome: 'refused',
      retryable: false,
      httpStatus: 401,
      detail: 'HTTP 401 with an empty body',
    });
  });

  it('classifies a 429 as retryable and reads its Retry-After', async () => {
    const { url } = await serve((_req, res) => json(res, 429, { status: 429, detail: 'Too many requests' }, { 'retry-after': '30' }));
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000 });

    expect(await client.deploy({ target: { kind: 'job', id: JOB_ID }, imageTag: 'v1' })).toEqual({
      ok: false,
      kind: 'http',
      outcome: 'refused',
      retryable: true,
      httpStatus: 429,
      detail: 'Too many requests',
      retryAfterMs: 30_000,
    });
  });

  it('reads a Retry-After given as an HTTP date against the injected clock', async () => {
    const now = Date.parse('2026-11-20T10:00:00Z');
    const { url } = await serve((_req, res) => res.writeHead(503, { 'retry-after': new Date(now + 45_000).toUTCString() }).end());
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000, now: () => now });
    expect(await client.getStatus({ kind: 'job', id: JOB_ID })).toMatchObject({ ok: false, retryable: true, retryAfterMs: 45_000 });
  });

  it('classifies a server that never answers as a retryable timeout whose outcome is unknown', async () => {
    const { url, seen } = await serve(() => undefined);
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 200 });

    expect(await client.deploy({ target: { kind: 'job', id: JOB_ID }, imageTag: 'v1' })).toEqual({
      ok: false,
      kind: 'timeout',
      outcome: 'unknown',
      retryable: true,
      detail: 'no answer from Qovery within 200 ms',
    });
    expect(seen).toHaveLength(1);
  });

  it('keeps one connection open across calls and keeps a path prefix of the base URL', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 200, { id: JOB_ID, state: 'DEPLOYED' }));
    const sockets = new Set<unknown>();
    server?.on('connection', (socket) => sockets.add(socket));
    const client = createQoveryClient({ baseUrl: `${url}/api/v1/`, token: 'qov_abc123', timeoutMs: 2000 });

    for (let i = 0; i < 3; i++) expect(await client.getStatus({ kind: 'job', id: JOB_ID })).toMatchObject({ ok: true, httpStatus: 200 });

    expect(seen.map((s) => s.url)).toEqual(Array.from({ length: 3 }, () => `/api/v1/job/${JOB_ID}/status`));
    expect(sockets.size).toBe(1);
  });

  it('keeps the status of an answer whose body breaks off, as an answer without a body', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(202, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"id":');
      setTimeout(() => res.destroy(), 20);
    });
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000 });
    expect(await client.deploy({ target: { kind: 'job', id: JOB_ID }, imageTag: 'v1' })).toEqual({ ok: true, httpStatus: 202 });
  });

  it('classifies a refused connection as a retryable network failure of a request never sent', async () => {
    const { url } = await serve(() => undefined);
    const closing = server;
    server = undefined;
    await new Promise<void>((resolve) => closing?.close(() => resolve()));
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000 });

    const result = await client.getStatus({ kind: 'job', id: JOB_ID });

    expect(result).toMatchObject({ ok: false, kind: 'network', outcome: 'not_sent', retryable: true });
    expect(result.ok ? '' : result.detail).toMatch(/^cannot reach Qovery: .*ECONNREFUSED/);
  });

  it('classifies a connection reset after the whole request was sent as a network failure whose outcome is unknown', async () => {
    // The server read the whole deploy (and may have acted on it) before the connection died.
    const { url, seen } = await serve((req) => req.socket.destroy());
    const client = createQoveryClient({ baseUrl: url, token: 'qov_abc123', timeoutMs: 2000 });

    const result = await client.deploy({ target: { kind: 'job', id: JOB_ID }, imageTag: 'v1' });

    expect(seen).toHaveLength(1);
    expect(result).toMatchObject({ ok: false, kind: 'network', outcome: 'unknown', retryable: true });
    expect(result.ok ? '' : result.detail).toMatch(/^cannot reach Qovery after the request was sent: /);
  });
});
