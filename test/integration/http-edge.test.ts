import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadEnv } from '../../src/config/env.js';
import { parseRules } from '../../src/config/rules.js';
import { startTestRelay, type TestRelay } from '../support/relay.js';
import { githubPush } from '../support/payloads.js';
import { commitRules } from '../support/rules.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const RULES = commitRules({ source: 'github', routes: [{ jobId: JOB }] });
const AUTH = { authorization: 'Bearer test-api-token-0123456789' };

let relay: TestRelay;
const sockets: Socket[] = [];
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.destroy());
  const closing = relay;
  relay = undefined as unknown as TestRelay;
  await closing?.close();
});

/** Connections the relay's server still holds open. */
function openConnections(): Promise<number> {
  return new Promise((resolve, reject) => relay.relay.app!.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

async function listening(): Promise<number> {
  await relay.relay.app!.listen({ port: 0, host: '127.0.0.1' });
  return (relay.relay.app!.server.address() as { port: number }).port;
}

describe('slow clients are cut off', () => {
  it('40 connections that never finish their body are answered 408 and dropped once the request timeout passes', async () => {
    relay = await startTestRelay(RULES, { HTTP_REQUEST_TIMEOUT_MS: 600, HTTP_HEADERS_TIMEOUT_MS: 300, RELAY_ROLE: 'api' });
    const port = await listening();
    const answered = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.on('data', (data) => String(data).startsWith('HTTP/1.1 408') && answered.add(i));
      socket.write('POST /webhooks/github HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10000\r\n\r\n{"ref":');
    }
    await expect.poll(openConnections, { timeout: 2_000, interval: 20 }).toBe(40);
    await expect.poll(() => answered.size, { timeout: 10_000, interval: 50 }).toBe(40);
    await expect.poll(openConnections, { timeout: 5_000, interval: 50 }).toBe(0);
  });

  it('a connection that never finishes its headers is dropped after the headers timeout', async () => {
    relay = await startTestRelay(RULES, { HTTP_REQUEST_TIMEOUT_MS: 5_000, HTTP_HEADERS_TIMEOUT_MS: 300, RELAY_ROLE: 'api' });
    const port = await listening();
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.write('POST /webhooks/github HTTP/1.1\r\nhost: x\r\n');
    await expect.poll(openConnections, { timeout: 2_000, interval: 20 }).toBe(1);
    await expect.poll(openConnections, { timeout: 4_000, interval: 50 }).toBe(0);
  });
});

describe('X-Forwarded-For is believed only from trusted proxies', () => {
  const send = (ip: string) => {
    const push = githubPush({ repository: 'acme/api', branch: 'dev', commit: 'a'.repeat(40) });
    return relay.post('github', push.body, { ...push.headers, 'x-forwarded-for': ip });
  };

  it('by default a client cannot pick its rate-limit identity with X-Forwarded-For', async () => {
    relay = await startTestRelay(RULES, { RATE_LIMIT_MAX: 2, RELAY_ROLE: 'api' });
    const answers = [await send('1.1.1.1'), await send('2.2.2.2'), await send('3.3.3.3')];
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 429]);
    expect(answers[2]!.json.code).toBe('RELAY_RATE_LIMITED');
  });

  it('with TRUST_PROXY naming the proxy, each forwarded client has its own limit', async () => {
    relay = await startTestRelay(RULES, { RATE_LIMIT_MAX: 2, RELAY_ROLE: 'api', TRUST_PROXY: ['127.0.0.1'] });
    const answers = [await send('1.1.1.1'), await send('1.1.1.1'), await send('2.2.2.2'), await send('1.1.1.1')];
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202, 429]);
  });

  it('TRUST_PROXY reads false, true, a hop count or addresses and ranges, and names what it cannot read', () => {
    expect(loadEnv({ RELAY_ROLE: 'api' }).TRUST_PROXY).toBe(false);
    expect(loadEnv({ RELAY_ROLE: 'api', TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadEnv({ RELAY_ROLE: 'api', TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadEnv({ RELAY_ROLE: 'api', TRUST_PROXY: '10.0.0.0/8, ::1, loopback' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '::1', 'loopback']);
    expect(() => loadEnv({ RELAY_ROLE: 'api', TRUST_PROXY: '10.0.0.0/33,proxy.local' })).toThrow(/TRUST_PROXY: not an address.*10\.0\.0\.0\/33, proxy\.local/);
  });
});

describe('path tokens and ids longer than Fastify takes by default', () => {
  it('a path token over 256 characters is refused when the rules are read', () => {
    const rules = (token: string) => `sources: [{ name: hub, type: dockerhub, token: "${token}" }]`;
    expect(() => parseRules(rules('t'.repeat(257)), {})).toThrow(ConfigError);
    expect(() => parseRules(rules('t/with?url#syntax'), {})).toThrow(/URL path/);
    expect(() => parseRules(rules('t'.repeat(256)), {})).not.toThrow();
  });

  it('a 256-character path token is accepted on the webhook URL', async () => {
    const token = 'k'.repeat(256);
    relay = await startTestRelay(`sources: [{ name: hub, type: dockerhub, token: "${token}" }]`, { RELAY_ROLE: 'api' });
    const body = { push_data: { pushed_at: 1795255925, tag: 'v1' }, repository: { repo_name: 'acme/worker' } };
    expect((await relay.post('hub', body)).statusCode).toBe(202);
  });

  it('a delivery id longer than 200 characters is refused with 400, and a 200-character one can be looked up', async () => {
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    const long = githubPush({ repository: 'acme/api', branch: 'dev', commit: 'a'.repeat(40), delivery: 'd'.repeat(8_000) });
    const refused = await relay.post('github', long.body, long.headers);
    expect(refused.statusCode).toBe(400);
    expect(refused.json).toMatchObject({ code: 'RELAY_PAYLOAD_INVALID', message: expect.stringContaining('at most 200') });
    const fits = githubPush({ repository: 'acme/api', branch: 'dev', commit: 'a'.repeat(40), delivery: 'e'.repeat(200) });
    expect((await relay.post('github', fits.body, fits.headers)).statusCode).toBe(202);
    expect((await relay.get(`/deliveries/${'e'.repeat(200)}`)).statusCode).toBe(200);
  });
});

describe('the history API answers bad queries with 400', () => {
  it('an empty or repeated ?source= on GET /deliveries/:id is a 400 naming the problem', async () => {
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    for (const query of ['?source=', '?source=a&source=b']) {
      const response = await relay.relay.app!.inject({ method: 'GET', url: `/deliveries/abc${query}`, headers: AUTH });
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ code: 'RELAY_BAD_REQUEST', message: expect.stringContaining('source') });
    }
  });
});

describe('every answer Fastify gives on its own has the relay error shape', () => {
  it('a webhook with an empty, malformed or unusual content type is read, not refused with 415', async () => {
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    for (const [i, contentType] of ['', '///', 'text/x-weird; charset=utf-8', 'application/x-www-form-urlencoded'].entries()) {
      const push = githubPush({ repository: 'acme/api', branch: 'main', commit: String(i).repeat(40) });
      const response = await relay.post('github', push.body, { ...push.headers, 'content-type': contentType });
      expect(response.statusCode, contentType).toBe(202);
    }
  });

  it('a too long or malformed URL is answered in the {code, message, reqId} shape', async () => {
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    const app = relay.relay.app!;
    const long = await app.inject({ method: 'GET', url: `/deliveries/${'x'.repeat(2_000)}`, headers: AUTH });
    expect(long.statusCode).toBe(414);
    expect(long.json()).toEqual({ code: 'RELAY_URI_TOO_LONG', message: expect.any(String), reqId: expect.any(String) });
    const bad = await app.inject({ method: 'GET', url: '/deliveries/%zz', headers: AUTH });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ code: 'RELAY_BAD_REQUEST', message: expect.any(String), reqId: expect.any(String) });
    const media = await app.inject({ method: 'POST', url: '/rules/test', headers: { ...AUTH, 'content-type': 'application/xml' }, payload: '<x/>' });
    expect(media.statusCode).toBe(415);
    expect(media.json()).toEqual({ code: 'RELAY_UNSUPPORTED_MEDIA_TYPE', message: expect.any(String), reqId: expect.any(String) });
  });
});
