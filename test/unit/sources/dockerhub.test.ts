import { describe, expect, it } from 'vitest';
import { dockerhub } from '../../../src/sources/dockerhub.js';
import type { WebhookRequest } from '../../../src/sources/types.js';
import { deliveryIdOf, expectFixtureOutcome, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

const fixtures = loadFixtures('dockerhub');
const load = (name: string) => loadFixture('dockerhub', name);

describe('dockerhub parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('derives one delivery id for a retry and another for a new push of the same tag', () => {
    const fixture = load('push-tag.json');
    const first = deliveryIdOf(parseFixture(fixture));
    expect(deliveryIdOf(parseFixture(fixture, structuredClone(fixture.body)))).toBe(first);
    const body = fixture.body as { push_data: Record<string, unknown> };
    expect(deliveryIdOf(parseFixture(fixture, { ...body, push_data: { ...body.push_data, pushed_at: 1763632999 } }))).not.toBe(first);
  });

  it('is invalid without a tag or a repository name, and does not throw on an absurd push time', () => {
    const fixture = load('push-tag.json');
    const body = fixture.body as { push_data: Record<string, unknown>; repository: Record<string, unknown> };
    expect(parseFixture(fixture, { ...body, push_data: { pushed_at: 1 } })).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('push_data.tag'),
    });
    expect(parseFixture(fixture, { ...body, repository: {} })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('repo_name') });
    const absurd = parseFixture(fixture, { ...body, push_data: { ...body.push_data, pushed_at: 1e20 } });
    expect(absurd).toMatchObject({ kind: 'events' });
    expect((absurd as unknown as { events: Array<{ pushedAt?: string }> }).events[0]?.pushedAt).toBeUndefined();
  });
});

describe('dockerhub authenticate', () => {
  const fixture = load('push-tag.json');
  const request = (pathToken?: string): WebhookRequest => ({
    headers: {},
    rawBody: Buffer.from('{}'),
    now: new Date(),
    ...(pathToken !== undefined && { pathToken }),
  });

  it('accepts the configured path token and refuses a wrong or missing one', () => {
    expect(dockerhub.authenticate(fixture.source, request('hub-path-token-0123456789'))).toEqual({ ok: true });
    expect(dockerhub.authenticate(fixture.source, request('hub-path-token-012345678'))).toMatchObject({ ok: false });
    expect(dockerhub.authenticate(fixture.source, request())).toMatchObject({ ok: false, reason: expect.stringContaining('token') });
  });
});
