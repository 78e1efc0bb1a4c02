import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gitea } from '../../../src/sources/gitea.js';
import type { SourceConfig } from '../../../src/sources/types.js';
import { eventsDeliveryIdOf, expectFixtureOutcome, FIXTURE_NOW, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

const fixtures = loadFixtures('gitea');
const load = (name: string) => loadFixture('gitea', name);
const NOW = FIXTURE_NOW;

/** Headers without any of the given vendor prefixes (`gitea`, `gogs`...). */
function without(headers: Record<string, string>, ...prefixes: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !prefixes.some((p) => name.startsWith(`x-${p}-`))));
}

describe('gitea parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('reads the event and delivery id from the Forgejo headers alone', () => {
    const fixture = load('forgejo-tag-push.json');
    const result = parseFixture(fixture, fixture.body, { headers: without(fixture.headers, 'gitea', 'gogs', 'github') });
    expect(result).toMatchObject({ kind: 'events', deliveryId: fixture.headers['x-forgejo-delivery'] });
  });

  it('ignores events other than push, naming them', () => {
    const fixture = load('push-branch.json');
    const headers = { ...without(fixture.headers, 'gogs', 'github'), 'x-gitea-event': 'delete' };
    const result = parseFixture(fixture, { ref: 'feature/health', ref_type: 'branch' }, { headers });
    expect(result).toMatchObject({ kind: 'ignored', reason: 'Gitea event "delete" does not deploy' });
  });

  it('is invalid without an event header', () => {
    const fixture = load('push-branch.json');
    const result = parseFixture(fixture, fixture.body, { headers: without(fixture.headers, 'gitea', 'gogs', 'github') });
    expect(result).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('X-Gitea-Event') });
  });

  it('is invalid when the push lacks its repository', () => {
    const fixture = load('push-branch.json');
    delete fixture.body.repository;
    expect(parseFixture(fixture)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('repository') });
  });

  it('leaves paths out when the payload lists fewer commits than were pushed', () => {
    const fixture = load('push-branch.json');
    const result = parseFixture(fixture, { ...fixture.body, total_commits: 40 });
    expect(result.kind === 'events' && result.events[0]).not.toHaveProperty('paths');
  });

  it('derives a delivery id without delivery headers that a retry repeats and another push does not', () => {
    const fixture = load('push-branch.json');
    const headers = { 'x-gitea-event': 'push' };
    const idOf = (body: unknown) => eventsDeliveryIdOf(parseFixture(fixture, body, { headers }));
    const first = idOf(fixture.body);
    expect(first).toMatch(/^derived-/);
    expect(idOf(structuredClone(fixture.body))).toBe(first);
    const next = { ...fixture.body, before: fixture.body.after, after: 'e4b8c1d2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8', head_commit: null };
    expect(idOf(next)).not.toBe(first);
  });
});

describe('gitea authenticate', () => {
  const source: SourceConfig = { name: 'forgejo', type: 'gitea', secret: 'forgejo-test-secret' };
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  const hex = (secret: string) => createHmac('sha256', secret).update(body).digest('hex');
  const auth = (headers: Record<string, string>) => gitea.authenticate(source, { headers, rawBody: body, now: NOW });

  it('accepts the Forgejo signature header alone', () => {
    expect(auth({ 'x-forgejo-signature': hex('forgejo-test-secret') })).toEqual({ ok: true, signature: hex('forgejo-test-secret') });
  });

  it('checks the Forgejo header when present, so a good Gitea copy cannot cover a bad one', () => {
    const result = auth({ 'x-forgejo-signature': hex('other'), 'x-gitea-signature': hex('forgejo-test-secret') });
    expect(result).toEqual({ ok: false, reason: 'X-Forgejo-Signature does not match the body signed with the configured secret' });
  });

  it('refuses a GitHub-style "sha256=" prefix where Gitea sends bare hex', () => {
    expect(auth({ 'x-gitea-signature': `sha256=${hex('forgejo-test-secret')}` }).ok).toBe(false);
  });
});
