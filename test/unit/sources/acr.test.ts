import { describe, expect, it } from 'vitest';
import { acr } from '../../../src/sources/acr.js';
import type { WebhookRequest } from '../../../src/sources/types.js';
import { deliveryIdOf, expectFixtureOutcome, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

const fixtures = loadFixtures('acr');
const load = (name: string) => loadFixture('acr', name);

describe('acr parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('uses the webhook event id as the delivery id, so a resend collides and another push does not', () => {
    const fixture = load('push.json');
    expect(deliveryIdOf(parseFixture(fixture))).toBe('cb8c3971-9adc-488b-bdd8-43cbb4974ff5');
    expect(deliveryIdOf(parseFixture(fixture, structuredClone(fixture.body)))).toBe(deliveryIdOf(parseFixture(fixture)));
    const next = { ...fixture.body, id: '0a4e6c8b-2d1f-4e3a-9b5c-7d8e9f0a1b2c', target: { ...(fixture.body.target as object), tag: 'v2.3.1' } };
    expect(deliveryIdOf(parseFixture(fixture, next))).not.toBe(deliveryIdOf(parseFixture(fixture)));
  });

  it('answers the portal and CLI ping as a ping', () => {
    const fixture = load('push.json');
    const ping = { id: '1b7e3c55-8f2a-4d09-b6e1-3a9c0d2f4e68', timestamp: '2026-11-21T16:40:00.1Z', action: 'ping' };
    expect(parseFixture(fixture, ping)).toEqual({ kind: 'ping', deliveryId: '1b7e3c55-8f2a-4d09-b6e1-3a9c0d2f4e68', event: 'ping' });
  });

  it('ignores quarantine and chart deletions, keeping what it could read for the history', () => {
    const fixture = load('push.json');
    const quarantined = parseFixture(fixture, { ...fixture.body, action: 'quarantine' });
    expect(quarantined).toMatchObject({ kind: 'ignored', event: 'quarantine', read: { image: 'acme.azurecr.io/acme/api', tag: 'v2.3.0' } });
    expect(parseFixture(fixture, { ...fixture.body, action: 'chart_delete' })).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('chart_delete'),
    });
  });

  it('is invalid when a push lacks what ACR always sends', () => {
    const fixture = load('push.json');
    const { request: _request, ...withoutRequest } = fixture.body;
    expect(parseFixture(fixture, withoutRequest)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('request') });
    const { id: _id, ...withoutId } = fixture.body;
    expect(parseFixture(fixture, withoutId)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('id') });
    expect(parseFixture(fixture, { ...fixture.body, target: { tag: 'v1' } })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('repository') });
  });
});

describe('acr authenticate', () => {
  const request = (headers: Record<string, string>): WebhookRequest => ({ headers, rawBody: Buffer.from('{}'), now: new Date() });

  it('reads the configured custom header whatever its case', () => {
    const source = load('push-by-digest.json').source;
    expect(acr.authenticate(source, request({ 'x-relay-key': 'acr-relay-key-5e02' }))).toEqual({ ok: true });
    expect(acr.authenticate(source, request({ authorization: 'acr-relay-key-5e02' }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('X-Relay-Key'),
    });
  });

  it('refuses a source with no header configured', () => {
    const { header: _header, ...source } = load('push.json').source;
    expect(acr.authenticate(source, request({ authorization: 'x' }))).toMatchObject({ ok: false, reason: expect.stringContaining('no header') });
  });
});
