import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gitlab } from '../../../src/sources/gitlab.js';
import type { SourceConfig } from '../../../src/sources/types.js';
import { sign } from '../../fakes/signers.js';
import { deliveryIdOf, expectFixtureOutcome, FIXTURE_NOW, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

const fixtures = loadFixtures('gitlab');
const load = (name: string) => loadFixture('gitlab', name);
const NOW = FIXTURE_NOW;
const SIGNING_SECRET = 'whsec_ZGVwbG95LXJlbGF5LWdpdGxhYi1zaWduaW5nLWtleSE=';

describe('gitlab parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('ignores hooks other than pushes, naming them', () => {
    const fixture = load('push-branch.json');
    const result = parseFixture(fixture, { object_kind: 'merge_request' }, { headers: { ...fixture.headers, 'x-gitlab-event': 'Merge Request Hook' } });
    expect(result).toMatchObject({ kind: 'ignored', reason: 'GitLab event "Merge Request Hook" does not deploy' });
  });

  it('is invalid without X-Gitlab-Event', () => {
    const fixture = load('push-branch.json');
    const { 'x-gitlab-event': _removed, ...headers } = fixture.headers;
    expect(parseFixture(fixture, fixture.body, { headers })).toMatchObject({ kind: 'invalid', reason: 'missing X-Gitlab-Event header' });
  });

  it('is invalid when the push lacks its project', () => {
    const fixture = load('push-branch.json');
    delete fixture.body.project;
    expect(parseFixture(fixture)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('project') });
  });

  it('leaves paths out when GitLab cut the commit list short, so a paths rule cannot miss the push', () => {
    const fixture = load('push-branch.json');
    const result = parseFixture(fixture, { ...fixture.body, total_commits_count: 31 });
    expect(result.kind === 'events' && result.events[0]).not.toHaveProperty('paths');
  });

  it('leaves paths out of a tag push that lists no commit, rather than claiming no file changed', () => {
    const result = parseFixture(load('tag-push-signed.json'));
    expect(result.kind === 'events' && result.events[0]).not.toHaveProperty('paths');
  });

  it('prefers Idempotency-Key, then X-Gitlab-Event-UUID, then webhook-id as the delivery id', () => {
    const fixture = load('push-branch.json');
    const { 'idempotency-key': idempotencyKey, 'x-gitlab-event-uuid': eventUuid, ...bare } = fixture.headers;
    expect(deliveryIdOf(parseFixture(fixture))).toBe(idempotencyKey);
    expect(deliveryIdOf(parseFixture(fixture, fixture.body, { headers: { ...bare, 'x-gitlab-event-uuid': eventUuid as string } }))).toBe(eventUuid);
    expect(deliveryIdOf(parseFixture(fixture, fixture.body, { headers: { ...bare, 'webhook-id': 'msg_2b7c' } }))).toBe('msg_2b7c');
  });

  it('derives a delivery id without delivery headers that a retry repeats and another push does not', () => {
    const fixture = load('push-branch.json');
    const { 'idempotency-key': _a, 'x-gitlab-event-uuid': _b, ...bare } = fixture.headers;
    const first = deliveryIdOf(parseFixture(fixture, fixture.body, { headers: bare }));
    expect(first).toMatch(/^derived-/);
    expect(deliveryIdOf(parseFixture(fixture, structuredClone(fixture.body), { headers: bare }))).toBe(first);
    const sha = 'e4b8c1d2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8';
    const next = { ...fixture.body, before: fixture.body.after, after: sha, checkout_sha: sha };
    expect(deliveryIdOf(parseFixture(fixture, next, { headers: bare }))).not.toBe(first);
  });
});

describe('gitlab authenticate', () => {
  const body = Buffer.from('{"object_kind":"push"}');

  function standardWebhooksHeaders(id: string, timestamp: number, signatures: string): Record<string, string> {
    return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatures };
  }

  function v1(id: string, timestamp: number, secret = SIGNING_SECRET): string {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')}`;
  }

  const signedSource: SourceConfig = { name: 'gitlab', type: 'gitlab', signingSecret: SIGNING_SECRET };
  const nowSeconds = Math.floor(NOW.getTime() / 1000);

  it('refuses a source configured with neither a token nor a signing secret', () => {
    const result = gitlab.authenticate({ name: 'gitlab', type: 'gitlab' }, { headers: { 'x-gitlab-token': 'x' }, rawBody: body, now: NOW });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('neither token nor signingSecret') });
  });

  it('needs no rules-file key of its own, only one of the two optional ones', () => {
    expect(gitlab.requiredKeys).toEqual([]);
    expect(gitlab.optionalKeys).toEqual(['token', 'signingSecret']);
  });

  it('accepts a delivery when one of several listed signatures matches (key rotation)', () => {
    const headers = standardWebhooksHeaders('msg_1', nowSeconds, `v1,${Buffer.alloc(32).toString('base64')} ${v1('msg_1', nowSeconds)}`);
    expect(gitlab.authenticate(signedSource, { headers, rawBody: body, now: NOW })).toMatchObject({
      ok: true,
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('refuses a signature with anything after its base64 padding', () => {
    for (const junk of ['x', '==', '!!', 'AAAA']) {
      const headers = standardWebhooksHeaders('msg_1', nowSeconds, `${v1('msg_1', nowSeconds)}${junk}`);
      expect(gitlab.authenticate(signedSource, { headers, rawBody: body, now: NOW })).toMatchObject({ ok: false });
    }
  });

  it('refuses a signature of another scheme version', () => {
    const headers = standardWebhooksHeaders('msg_1', nowSeconds, v1('msg_1', nowSeconds).replace('v1,', 'v1a,'));
    expect(gitlab.authenticate(signedSource, { headers, rawBody: body, now: NOW }).ok).toBe(false);
  });

  it('refuses a signature whose webhook-id was swapped', () => {
    const headers = standardWebhooksHeaders('msg_2', nowSeconds, v1('msg_1', nowSeconds));
    expect(gitlab.authenticate(signedSource, { headers, rawBody: body, now: NOW }).ok).toBe(false);
  });

  it('refuses a timestamp more than five minutes away, in either direction', () => {
    for (const timestamp of [nowSeconds - 301, nowSeconds + 301]) {
      const headers = standardWebhooksHeaders('msg_1', timestamp, v1('msg_1', timestamp));
      expect(gitlab.authenticate(signedSource, { headers, rawBody: body, now: NOW })).toEqual({
        ok: false,
        reason: expect.stringContaining('webhook-timestamp'),
      });
    }
  });

  it('says so when the configured signing secret is not a whsec_ token', () => {
    const headers = standardWebhooksHeaders('msg_1', nowSeconds, v1('msg_1', nowSeconds));
    const result = gitlab.authenticate({ ...signedSource, signingSecret: 'not base64!' }, { headers, rawBody: body, now: NOW });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('whsec_') });
  });

  it('requires both checks to pass when both a token and a signing secret are configured', () => {
    const source: SourceConfig = { ...signedSource, token: 'gl-test-secret-token' };
    const signed = sign(source, body, NOW).headers;
    expect(gitlab.authenticate(source, { headers: signed, rawBody: body, now: NOW })).toMatchObject({
      ok: true,
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const wrongToken = { ...signed, 'x-gitlab-token': 'another-token' };
    expect(gitlab.authenticate(source, { headers: wrongToken, rawBody: body, now: NOW })).toEqual({
      ok: false,
      reason: 'X-Gitlab-Token does not match the configured token',
    });
  });
});
