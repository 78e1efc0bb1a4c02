import { describe, expect, it } from 'vitest';
import { harbor } from '../../../src/sources/harbor.js';
import type { WebhookRequest } from '../../../src/sources/types.js';
import { deliveryIdOf, expectFixtureOutcome, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

const fixtures = loadFixtures('harbor');
const load = (name: string) => loadFixture('harbor', name);

describe('harbor parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('derives the Default-format delivery id from the event, so a retry collides and another push does not', () => {
    const fixture = load('push-default.json');
    const first = deliveryIdOf(parseFixture(fixture));
    expect(first).toMatch(/^derived-/);
    expect(deliveryIdOf(parseFixture(fixture, structuredClone(fixture.body)))).toBe(first);
    const next = structuredClone(fixture.body) as { occur_at: number; event_data: { resources: Array<{ digest: string }> } };
    next.occur_at += 90;
    next.event_data.resources[0]!.digest = 'sha256:1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
    expect(deliveryIdOf(parseFixture(fixture, next))).not.toBe(first);
  });

  it('uses the CloudEvents id as the delivery id', () => {
    expect(deliveryIdOf(parseFixture(load('push-cloudevents.json')))).toBe('4b2f89a6-548d-4c12-9993-a1f5790b97d2');
  });

  it('reads a CloudEvents delivery in binary mode, its attributes in ce-* headers and the data as body', () => {
    const fixture = load('push-cloudevents.json');
    const headers = {
      ...fixture.headers,
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': '0c6b2f9e-3a41-4d7b-9e0f-7a5c1d3b2e48',
      'ce-type': 'harbor.artifact.pushed',
      'ce-source': '/projects/3/webhook/policies/7',
      'ce-time': '2026-11-21T09:45:00Z',
    };
    const result = parseFixture(fixture, fixture.body.data, { headers });
    expect(result).toMatchObject({
      kind: 'events',
      deliveryId: '0c6b2f9e-3a41-4d7b-9e0f-7a5c1d3b2e48',
      events: [{ image: 'harbor.acme.internal:8443/payments/api', tag: '2.0.1', pushedAt: '2026-11-21T09:45:00.000Z' }],
    });
    const { 'ce-id': _id, ...withoutId } = headers;
    expect(parseFixture(fixture, fixture.body.data, { headers: withoutId })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('ce-id') });
  });

  it('ignores other CloudEvents types such as a finished scan and says which', () => {
    const fixture = load('push-cloudevents.json');
    const result = parseFixture(fixture, { ...fixture.body, type: 'harbor.scan.completed' });
    expect(result).toMatchObject({ kind: 'ignored', event: 'harbor.scan.completed', reason: expect.stringContaining('harbor.scan.completed') });
  });

  it('ignores pulls and scans in the Default format too', () => {
    const fixture = load('push-default.json');
    for (const type of ['PULL_ARTIFACT', 'SCANNING_COMPLETED', 'QUOTA_EXCEED']) {
      expect(parseFixture(fixture, { ...fixture.body, type })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining(type) });
    }
  });

  it('deploys the tagged resources of a push and lists the untagged ones as skipped', () => {
    const fixture = load('push-image-two-tags-v1.json');
    const body = structuredClone(fixture.body) as { event_data: { resources: object[] } };
    const digest = 'sha256:b4758aaed11c155a476b9857e1178f157759c99cb04c907a04993f5481eff848';
    body.event_data.resources.push({ digest, tag: digest, resource_url: `registry.acme.com/tools/worker@${digest}` });
    const result = parseFixture(fixture, body);
    expect(result.kind === 'events' && result.events).toHaveLength(2);
    expect(result.kind === 'events' && result.skipped).toEqual([expect.stringContaining('without a tag')]);
  });

  it('is invalid when a push lacks what Harbor always sends', () => {
    const fixture = load('push-default.json');
    const { type: _type, ...withoutType } = fixture.body;
    expect(parseFixture(fixture, withoutType)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('type') });
    const withoutUrl = structuredClone(fixture.body) as { event_data: { resources: Array<Record<string, unknown>> } };
    delete withoutUrl.event_data.resources[0]!.resource_url;
    expect(parseFixture(fixture, withoutUrl)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('resource_url') });
    const ce = load('push-cloudevents.json');
    expect(parseFixture(ce, { ...ce.body, id: '' })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('id') });
  });
});

describe('harbor authenticate', () => {
  const fixture = load('push-default.json');
  const request = (headers: Record<string, string>): WebhookRequest => ({ headers, rawBody: Buffer.from('{}'), now: new Date() });

  it('accepts the Auth Header value sent verbatim as Authorization', () => {
    expect(harbor.authenticate(fixture.source, request({ authorization: 'Bearer harbor-test-token' }))).toEqual({ ok: true });
  });

  it('refuses a value that differs only by its scheme word', () => {
    expect(harbor.authenticate(fixture.source, request({ authorization: 'harbor-test-token' }))).toMatchObject({ ok: false });
  });

  it('refuses a source with no header configured', () => {
    const { header: _header, ...source } = fixture.source;
    expect(harbor.authenticate(source, request({ authorization: 'x' }))).toMatchObject({ ok: false, reason: expect.stringContaining('no header') });
  });
});
