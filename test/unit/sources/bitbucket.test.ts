import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bitbucket } from '../../../src/sources/bitbucket.js';
import type { SourceConfig } from '../../../src/sources/types.js';
import { eventsDeliveryIdOf, expectFixtureOutcome, FIXTURE_NOW, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

const fixtures = loadFixtures('bitbucket');
const load = (name: string) => loadFixture('bitbucket', name);

/** The `new` state of the first change, to vary a fixture. */
function firstNew(body: Record<string, unknown>): Record<string, unknown> {
  const push = body.push as { changes: Array<{ new: Record<string, unknown> }> };
  return push.changes[0]?.new as Record<string, unknown>;
}

describe('bitbucket parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('reports the deleted branch of a mixed push as skipped', () => {
    const result = parseFixture(load('push-multiple-changes.json'));
    expect(result).toMatchObject({ kind: 'events', skipped: ['branch feature/health was deleted'] });
  });

  it('reads an annotated tag as a tag and skips ref types it does not know', () => {
    const fixture = load('push-branch.json');
    Object.assign(firstNew(fixture.body), { type: 'annotated_tag', name: 'v2.0.0' });
    expect(parseFixture(fixture)).toMatchObject({ kind: 'events', events: [{ tag: 'v2.0.0' }] });
    Object.assign(firstNew(fixture.body), { type: 'bookmark' });
    expect(parseFixture(fixture)).toMatchObject({ kind: 'ignored', reason: 'bookmark v2.0.0 is neither a branch nor a tag' });
  });

  it('ignores events other than repo:push, naming them', () => {
    const fixture = load('push-branch.json');
    const result = parseFixture(fixture, { pullrequest: {} }, { headers: { ...fixture.headers, 'x-event-key': 'pullrequest:created' } });
    expect(result).toMatchObject({ kind: 'ignored', reason: 'Bitbucket event "pullrequest:created" does not deploy' });
  });

  it('is invalid without X-Event-Key', () => {
    const fixture = load('push-branch.json');
    const { 'x-event-key': _removed, ...headers } = fixture.headers;
    expect(parseFixture(fixture, fixture.body, { headers })).toMatchObject({ kind: 'invalid', reason: 'missing X-Event-Key header' });
  });

  it('is invalid when a push has no changes list', () => {
    const fixture = load('push-branch.json');
    expect(parseFixture(fixture, { ...fixture.body, push: {} })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('push.changes') });
  });

  it('uses X-Request-UUID as the delivery id, not the webhook-wide X-Hook-UUID', () => {
    const fixture = load('push-branch.json');
    const result = parseFixture(fixture);
    expect(result.kind === 'events' && result.deliveryId).toBe(fixture.headers['x-request-uuid']);
  });

  it('derives a delivery id without X-Request-UUID that a retry repeats and another push does not', () => {
    const fixture = load('push-branch.json');
    const { 'x-request-uuid': _removed, ...headers } = fixture.headers;
    const idOf = (body: unknown) => eventsDeliveryIdOf(parseFixture(fixture, body, { headers }));
    const first = idOf(fixture.body);
    expect(first).toMatch(/^derived-/);
    expect(idOf(structuredClone(fixture.body))).toBe(first);
    const next = structuredClone(fixture.body);
    Object.assign(firstNew(next).target as object, { hash: 'e4b8c1d2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8' });
    expect(idOf(next)).not.toBe(first);
  });
});

describe('bitbucket authenticate', () => {
  const source: SourceConfig = { name: 'bitbucket', type: 'bitbucket', secret: 'bb-test-secret' };
  const body = Buffer.from('{"push":{"changes":[]}}');

  it('refuses a GitHub-style SHA-1 signature in the same header', () => {
    const sha1 = createHmac('sha1', 'bb-test-secret').update(body).digest('hex');
    const result = bitbucket.authenticate(source, { headers: { 'x-hub-signature': `sha1=${sha1}` }, rawBody: body, now: FIXTURE_NOW });
    expect(result).toEqual({ ok: false, reason: 'x-hub-signature must start with "sha256="' });
  });
});
