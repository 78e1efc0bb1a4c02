import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generic } from '../../../src/sources/generic.js';
import type { SourceConfig, WebhookRequest } from '../../../src/sources/types.js';

interface Fixture {
  description: string;
  source: SourceConfig;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  expect: { kind: string; events?: object[]; reason?: string };
}

const DIR = fileURLToPath(new URL('../../fixtures/generic/', import.meta.url));
const fixtures = readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, ...(JSON.parse(readFileSync(DIR + name, 'utf8')) as Fixture) }));

function load(name: string): Fixture {
  const fixture = fixtures.find((f) => f.name === name);
  if (!fixture) throw new Error(`no fixture ${name}`);
  return structuredClone(fixture);
}

const NOW = new Date('2026-11-20T10:00:00Z');

function parse(fixture: Fixture, body: unknown = fixture.body, headers: Record<string, string> = fixture.headers) {
  const request: WebhookRequest = { headers, rawBody: Buffer.from(JSON.stringify(body)), now: NOW };
  return generic.parse(fixture.source, request, body);
}

function deliveryIdOf(result: ReturnType<typeof parse>): string | undefined {
  return result.kind === 'events' ? result.deliveryId : undefined;
}

describe('generic parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    const result = parse(fixture);
    expect(result.kind).toBe(fixture.expect.kind);
    if (result.kind === 'events') expect(result.events).toMatchObject(fixture.expect.events ?? []);
    if (result.kind === 'ignored' || result.kind === 'invalid') expect(result.reason).toContain(fixture.expect.reason);
  });

  it('needs a repository or an image', () => {
    const fixture = load('git-push.json');
    const { repository: _removed, ...body } = fixture.body;
    expect(parse(fixture, body)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('repository or image is required') });
  });

  it('refuses unknown keys, so a misspelt field cannot deploy something else', () => {
    const fixture = load('git-push.json');
    const { branch, ...rest } = fixture.body;
    expect(parse(fixture, { ...rest, brnach: branch })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('brnach') });
  });

  it('refuses a pushedAt that is not an ISO-8601 time', () => {
    const fixture = load('image-pushed.json');
    const result = parse(fixture, { ...fixture.body, pushedAt: 'yesterday' });
    expect(result).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('pushedAt') });
  });

  it('puts an image without a host on Docker Hub when the source names no registry host', () => {
    const fixture = load('image-pushed.json');
    const { registryHost: _removed, ...source } = fixture.source;
    const result = parse({ ...fixture, source }, { ...fixture.body, image: 'acme/api' });
    expect(result.kind === 'events' && result.events[0]?.image).toBe('docker.io/acme/api');
  });

  it('takes the delivery id from X-Relay-Delivery, then the body id', () => {
    const fixture = load('git-push.json');
    expect(deliveryIdOf(parse(fixture))).toBe('pipeline-99812');
    expect(deliveryIdOf(parse(fixture, fixture.body, { ...fixture.headers, 'x-relay-delivery': 'run-7' }))).toBe('run-7');
  });

  it('derives a delivery id that a retry repeats, even re-serialized, and another push does not', () => {
    const fixture = load('git-push.json');
    const { id: _removed, ...body } = fixture.body;
    const first = deliveryIdOf(parse(fixture, body));
    expect(first).toMatch(/^derived-/);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    expect(deliveryIdOf(parse(fixture, reordered))).toBe(first);
    expect(deliveryIdOf(parse(fixture, { ...body, commit: 'e4b8c1d2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8' }))).not.toBe(first);
    expect(deliveryIdOf(parse(fixture, { ...body, branch: undefined, tag: 'main' }))).not.toBe(first);
  });
});

describe('generic authenticate', () => {
  const source: SourceConfig = { name: 'ci', type: 'generic', secret: 'relay-test-secret' };
  const body = Buffer.from('{"repository":"acme/api","branch":"main"}');
  const nowSeconds = Math.floor(NOW.getTime() / 1000);
  const hex = (data: string | Buffer) => createHmac('sha256', 'relay-test-secret').update(data).digest('hex');
  const auth = (headers: Record<string, string>) => generic.authenticate(source, { headers, rawBody: body, now: NOW });

  it('accepts a body signature without a timestamp', () => {
    expect(auth({ 'x-relay-signature': `sha256=${hex(body)}` })).toEqual({ ok: true });
  });

  it('refuses a timestamped signature whose timestamp was stripped', () => {
    expect(auth({ 'x-relay-signature': `sha256=${hex(`${nowSeconds}.${body.toString()}`)}` }).ok).toBe(false);
  });

  it('refuses a timestamp changed after signing', () => {
    const signature = `sha256=${hex(`${nowSeconds}.${body.toString()}`)}`;
    expect(auth({ 'x-relay-timestamp': String(nowSeconds + 1), 'x-relay-signature': signature }).ok).toBe(false);
  });

  it('refuses a timestamp more than five minutes in the future', () => {
    const timestamp = nowSeconds + 301;
    const result = auth({ 'x-relay-timestamp': String(timestamp), 'x-relay-signature': `sha256=${hex(`${timestamp}.${body.toString()}`)}` });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('X-Relay-Timestamp') });
  });

  it('refuses a timestamp that is not unix seconds', () => {
    const timestamp = NOW.toISOString();
    const result = auth({ 'x-relay-timestamp': timestamp, 'x-relay-signature': `sha256=${hex(`${timestamp}.${body.toString()}`)}` });
    expect(result).toEqual({ ok: false, reason: 'X-Relay-Timestamp must be a unix time in seconds' });
  });
});
