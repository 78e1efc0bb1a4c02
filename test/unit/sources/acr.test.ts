import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acr } from '../../../src/sources/acr.js';
import type { SourceConfig, WebhookRequest } from '../../../src/sources/types.js';

interface Fixture {
  description: string;
  source: SourceConfig;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  expect: { kind: string; events?: object[]; reason?: string };
}

const DIR = fileURLToPath(new URL('../../fixtures/acr/', import.meta.url));
const fixtures = readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, ...(JSON.parse(readFileSync(DIR + name, 'utf8')) as Fixture) }));
function load(name: string): Fixture {
  const fixture = fixtures.find((f) => f.name === name);
  if (!fixture) throw new Error(`no fixture ${name}`);
  return fixture;
}

function parse(fixture: Fixture, body: unknown = fixture.body) {
  const request: WebhookRequest = { headers: fixture.headers, rawBody: Buffer.from(JSON.stringify(body)), now: new Date('2026-11-21T17:00:00Z') };
  return acr.parse(fixture.source, request, body);
}

const deliveryId = (result: ReturnType<typeof parse>) => (result.kind === 'invalid' ? undefined : result.deliveryId);

describe('acr parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    const result = parse(fixture);
    expect(result.kind).toBe(fixture.expect.kind);
    if (result.kind === 'events') expect(result.events).toMatchObject(fixture.expect.events ?? []);
    if (result.kind === 'ignored' || result.kind === 'invalid') expect(result.reason).toContain(fixture.expect.reason);
  });

  it('uses the webhook event id as the delivery id, so a resend collides and another push does not', () => {
    const fixture = load('push.json');
    expect(deliveryId(parse(fixture))).toBe('cb8c3971-9adc-488b-bdd8-43cbb4974ff5');
    expect(deliveryId(parse(fixture, structuredClone(fixture.body)))).toBe(deliveryId(parse(fixture)));
    const next = { ...fixture.body, id: '0a4e6c8b-2d1f-4e3a-9b5c-7d8e9f0a1b2c', target: { ...(fixture.body.target as object), tag: 'v2.3.1' } };
    expect(deliveryId(parse(fixture, next))).not.toBe(deliveryId(parse(fixture)));
  });

  it('answers the portal and CLI ping as a ping', () => {
    const fixture = load('push.json');
    const ping = { id: '1b7e3c55-8f2a-4d09-b6e1-3a9c0d2f4e68', timestamp: '2026-11-21T16:40:00.1Z', action: 'ping' };
    expect(parse(fixture, ping)).toEqual({ kind: 'ping', deliveryId: '1b7e3c55-8f2a-4d09-b6e1-3a9c0d2f4e68', event: 'ping' });
  });

  it('ignores quarantine and chart deletions, keeping what it could read for the history', () => {
    const fixture = load('push.json');
    const quarantined = parse(fixture, { ...fixture.body, action: 'quarantine' });
    expect(quarantined).toMatchObject({ kind: 'ignored', event: 'quarantine', read: { image: 'acme.azurecr.io/acme/api', tag: 'v2.3.0' } });
    expect(parse(fixture, { ...fixture.body, action: 'chart_delete' })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('chart_delete') });
  });

  it('is invalid when a push lacks what ACR always sends', () => {
    const fixture = load('push.json');
    const { request: _request, ...withoutRequest } = fixture.body;
    expect(parse(fixture, withoutRequest)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('request') });
    const { id: _id, ...withoutId } = fixture.body;
    expect(parse(fixture, withoutId)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('id') });
    expect(parse(fixture, { ...fixture.body, target: { tag: 'v1' } })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('repository') });
  });
});

describe('acr authenticate', () => {
  const request = (headers: Record<string, string>): WebhookRequest => ({ headers, rawBody: Buffer.from('{}'), now: new Date() });

  it('reads the configured custom header whatever its case', () => {
    const source = load('push-by-digest.json').source;
    expect(acr.authenticate(source, request({ 'x-relay-key': 'acr-relay-key-5e02' }))).toEqual({ ok: true });
    expect(acr.authenticate(source, request({ authorization: 'acr-relay-key-5e02' }))).toMatchObject({ ok: false, reason: expect.stringContaining('X-Relay-Key') });
  });

  it('refuses a source with no header configured', () => {
    const { header: _header, ...source } = load('push.json').source;
    expect(acr.authenticate(source, request({ authorization: 'x' }))).toMatchObject({ ok: false, reason: expect.stringContaining('no header') });
  });
});
