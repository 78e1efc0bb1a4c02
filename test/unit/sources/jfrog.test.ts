import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jfrog } from '../../../src/sources/jfrog.js';
import type { SourceConfig } from '../../../src/sources/types.js';
import { deliveryIdOf, expectFixtureOutcome, type Fixture, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

type JfrogFixture = Fixture<{ data: Record<string, unknown> } & Record<string, unknown>>;

const fixtures = loadFixtures<JfrogFixture>('jfrog');
const load = (name: string) => loadFixture<JfrogFixture>('jfrog', name);

const withData = (fixture: JfrogFixture, data: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  ...fixture.body,
  ...top,
  data: { ...fixture.body.data, ...data },
});

describe('jfrog parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('derives a delivery id that a retry repeats and another push does not', () => {
    const fixture = load('pushed-token.json');
    expect(deliveryIdOf(parseFixture(fixture, structuredClone(fixture.body)))).toBe(deliveryIdOf(parseFixture(fixture)));
    const nextPush = withData(fixture, {
      path: 'api/1.4.3/manifest.json',
      tag: '1.4.3',
      sha256: 'b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4',
    });
    expect(deliveryIdOf(parseFixture(fixture, nextPush))).not.toBe(deliveryIdOf(parseFixture(fixture)));
  });

  it('takes the image path from image_name when the manifest path has another shape', () => {
    const fixture = load('pushed-token.json');
    const result = parseFixture(fixture, withData(fixture, { path: 'api/manifest.json' }));
    expect(result.kind === 'events' && result.events[0]?.image).toBe('acme.jfrog.io/docker-local/api');
  });

  it('ignores a promotion and events of other domains', () => {
    const fixture = load('pushed-token.json');
    expect(parseFixture(fixture, { ...fixture.body, event_type: 'promoted' })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('promoted') });
    const deployed = { ...fixture.body, domain: 'artifact', event_type: 'deployed' };
    expect(parseFixture(fixture, deployed)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('artifact') });
  });

  it('is invalid when a docker push lacks its tag or repository', () => {
    const fixture = load('pushed-token.json');
    expect(parseFixture(fixture, withData(fixture, { tag: undefined }))).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('tag') });
    expect(parseFixture(fixture, withData(fixture, { repo_key: undefined }))).toMatchObject({ kind: 'invalid' });
    expect(parseFixture(fixture, { data: fixture.body.data })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('domain') });
  });
});

describe('jfrog authenticate', () => {
  const fixture = load('pushed-token.json');
  const rawBody = Buffer.from(JSON.stringify(fixture.body));
  const signature = createHmac('sha256', 'the-secret').update(rawBody).digest('hex');
  const auth = (source: SourceConfig, value: string) => jfrog.authenticate(source, { headers: { 'x-jfrog-event-auth': value }, rawBody, now: new Date() });
  const base = { name: 'artifactory', type: 'jfrog', registryHost: 'acme.jfrog.io' };

  it('refuses a source with neither token nor secret, or with both', () => {
    expect(auth(base, 'anything')).toMatchObject({ ok: false, reason: expect.stringContaining('needs token') });
    expect(auth({ ...base, token: 't', secret: 's' }, 't')).toMatchObject({ ok: false, reason: expect.stringContaining('not both') });
  });

  it('does not accept the plain secret where a body signature is expected', () => {
    expect(auth({ ...base, secret: 'the-secret' }, signature)).toEqual({ ok: true, signature });
    expect(auth({ ...base, secret: 'the-secret' }, 'the-secret')).toMatchObject({ ok: false });
  });
});
