import { describe, expect, it } from 'vitest';
import { quay } from '../../../src/sources/quay.js';
import type { WebhookRequest } from '../../../src/sources/types.js';
import { deliveryIdOf, expectFixtureOutcome, type Fixture, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

const fixtures = loadFixtures('quay');
const load = (name: string) => loadFixture('quay', name);

// Quay's derived delivery id depends on the minute of arrival, so every parse here arrives at a known time.
const NOW = new Date('2026-11-21T10:15:12Z');
const parse = (fixture: Fixture, body?: unknown, now = NOW) => parseFixture(fixture, body, { now });

describe('quay parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parse(fixture), fixture.expect);
  });

  it('gives a retry of the same notification within a minute the same delivery id', () => {
    const fixture = load('repo-push.json');
    const first = deliveryIdOf(parse(fixture));
    expect(first).toMatch(/^derived-/);
    expect(deliveryIdOf(parse(fixture, structuredClone(fixture.body), new Date(NOW.getTime() + 30_000)))).toBe(first);
  });

  it('gives another tag, and a later push of the same tag, another delivery id', () => {
    const fixture = load('repo-push.json');
    const first = deliveryIdOf(parse(fixture));
    expect(deliveryIdOf(parse(fixture, { ...fixture.body, updated_tags: ['v3.2.1'] }))).not.toBe(first);
    // Quay sends the same body for a new image under the same tag: it must not be swallowed as a repeat.
    expect(deliveryIdOf(parse(fixture, fixture.body, new Date(NOW.getTime() + 5 * 60_000)))).not.toBe(first);
  });

  it('reads the old updated_tags map of tag to image id', () => {
    const fixture = load('repo-push.json');
    const result = parse(fixture, { ...fixture.body, updated_tags: { latest: 'b750fe79269d2ec9a3c593ef05b4332b1d1a02a62b4accb2c21d589ff2f5f2dc' } });
    expect(result).toMatchObject({ kind: 'events', events: [{ image: 'quay.io/acme/app', tag: 'latest' }] });
  });

  it('ignores vulnerability and mirror notifications, and a push that lists no tag', () => {
    const fixture = load('repo-push.json');
    const { updated_tags: _tags, ...repository } = fixture.body;
    expect(parse(fixture, { ...repository, tags: ['latest'], vulnerability: { id: 'CVE-2026-0001', priority: 'High' } })).toMatchObject({
      kind: 'ignored',
      event: 'vulnerability_found',
    });
    expect(parse(fixture, { ...repository, message: 'mirror started' })).toMatchObject({ kind: 'ignored', event: 'repo_mirror_sync' });
    expect(parse(fixture, { ...fixture.body, updated_tags: [] })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('no updated tag') });
  });

  it('is invalid when the notification lacks what Quay always sends', () => {
    const fixture = load('repo-push.json');
    const { docker_url: _url, ...withoutUrl } = fixture.body;
    expect(parse(fixture, withoutUrl)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('docker_url') });
    expect(parse(fixture, { ...fixture.body, updated_tags: 'latest' })).toMatchObject({ kind: 'invalid' });
  });
});

describe('quay authenticate', () => {
  const fixture = load('repo-push.json');
  const request = (pathToken?: string): WebhookRequest => ({
    headers: {},
    rawBody: Buffer.from('{}'),
    now: NOW,
    ...(pathToken !== undefined && { pathToken }),
  });

  it('accepts the configured token in the path and refuses another or none', () => {
    expect(quay.authenticate(fixture.source, request('quay-test-token-7f3a9c'))).toEqual({ ok: true });
    expect(quay.authenticate(fixture.source, request('quay-test-token-7f3a9'))).toMatchObject({ ok: false, reason: expect.stringContaining('wrong') });
    expect(quay.authenticate(fixture.source, request())).toMatchObject({ ok: false, reason: expect.stringContaining('missing token') });
  });
});
