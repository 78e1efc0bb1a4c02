import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jfrog } from '../../../src/sources/jfrog.js';
import type { ParseResult, SourceConfig, WebhookRequest } from '../../../src/sources/types.js';

interface Fixture {
  description: string;
  source: SourceConfig;
  headers: Record<string, string>;
  body: { data: Record<string, unknown> } & Record<string, unknown>;
  expect: { kind: string; events?: object[]; reason?: string };
}

const DIR = fileURLToPath(new URL('../../fixtures/jfrog/', import.meta.url));
const fixtures = readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, ...(JSON.parse(readFileSync(DIR + name, 'utf8')) as Fixture) }));

function load(name: string): Fixture {
  const fixture = fixtures.find((f) => f.name === name);
  if (!fixture) throw new Error(`no fixture ${name}`);
  return fixture;
}

function request(headers: Record<string, string>, body: unknown): WebhookRequest {
  return { headers, rawBody: Buffer.from(JSON.stringify(body)), now: new Date('2026-11-20T10:00:00Z') };
}

function parse(fixture: Fixture, body: unknown = fixture.body): ParseResult {
  return jfrog.parse(fixture.source, request(fixture.headers, body), body);
}

const withData = (fixture: Fixture, data: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  ...fixture.body,
  ...top,
  data: { ...fixture.body.data, ...data },
});

const deliveryId = (result: ParseResult) => (result.kind === 'invalid' ? undefined : result.deliveryId);

describe('jfrog parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    const result = parse(fixture);
    expect(result.kind).toBe(fixture.expect.kind);
    if (result.kind === 'events') expect(result.events).toMatchObject(fixture.expect.events ?? []);
    if (result.kind === 'ignored' || result.kind === 'invalid') expect(result.reason).toContain(fixture.expect.reason);
  });

  it('derives a delivery id that a retry repeats and another push does not', () => {
    const fixture = load('pushed-token.json');
    expect(deliveryId(parse(fixture, structuredClone(fixture.body)))).toBe(deliveryId(parse(fixture)));
    const nextPush = withData(fixture, {
      path: 'api/1.4.3/manifest.json',
      tag: '1.4.3',
      sha256: 'b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4',
    });
    expect(deliveryId(parse(fixture, nextPush))).not.toBe(deliveryId(parse(fixture)));
  });

  it('takes the image path from image_name when the manifest path has another shape', () => {
    const fixture = load('pushed-token.json');
    const result = parse(fixture, withData(fixture, { path: 'api/manifest.json' }));
    expect(result.kind === 'events' && result.events[0]?.image).toBe('acme.jfrog.io/docker-local/api');
  });

  it('ignores a promotion and events of other domains', () => {
    const fixture = load('pushed-token.json');
    expect(parse(fixture, { ...fixture.body, event_type: 'promoted' })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('promoted') });
    const deployed = { ...fixture.body, domain: 'artifact', event_type: 'deployed' };
    expect(parse(fixture, deployed)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('artifact') });
  });

  it('is invalid when a docker push lacks its tag or repository', () => {
    const fixture = load('pushed-token.json');
    expect(parse(fixture, withData(fixture, { tag: undefined }))).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('tag') });
    expect(parse(fixture, withData(fixture, { repo_key: undefined }))).toMatchObject({ kind: 'invalid' });
    expect(parse(fixture, { data: fixture.body.data })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('domain') });
  });
});

describe('jfrog authenticate', () => {
  const fixture = load('pushed-token.json');
  const rawBody = Buffer.from(JSON.stringify(fixture.body));
  const signature = createHmac('sha256', 'the-secret').update(rawBody).digest('hex');
  const auth = (source: SourceConfig, value: string) =>
    jfrog.authenticate(source, { headers: { 'x-jfrog-event-auth': value }, rawBody, now: new Date() });
  const base = { name: 'artifactory', type: 'jfrog', registryHost: 'acme.jfrog.io' };

  it('refuses a source with neither token nor secret, or with both', () => {
    expect(auth(base, 'anything')).toMatchObject({ ok: false, reason: expect.stringContaining('needs token') });
    expect(auth({ ...base, token: 't', secret: 's' }, 't')).toMatchObject({ ok: false, reason: expect.stringContaining('not both') });
  });

  it('does not accept the plain secret where a body signature is expected', () => {
    expect(auth({ ...base, secret: 'the-secret' }, signature)).toEqual({ ok: true });
    expect(auth({ ...base, secret: 'the-secret' }, 'the-secret')).toMatchObject({ ok: false });
  });
});
