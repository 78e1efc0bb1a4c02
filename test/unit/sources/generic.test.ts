import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generic } from '../../../src/sources/generic.js';
import type { SourceConfig } from '../../../src/sources/types.js';
import { eventsDeliveryIdOf, expectFixtureOutcome, FIXTURE_NOW, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

const fixtures = loadFixtures('generic');
const load = (name: string) => loadFixture('generic', name);
const NOW = FIXTURE_NOW;

describe('generic parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('needs a repository or an image', () => {
    const fixture = load('git-push.json');
    const { repository: _removed, ...body } = fixture.body;
    expect(parseFixture(fixture, body)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('repository or image is required') });
  });

  it('refuses unknown keys, so a misspelt field cannot deploy something else', () => {
    const fixture = load('git-push.json');
    const { branch, ...rest } = fixture.body;
    expect(parseFixture(fixture, { ...rest, brnach: branch })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('brnach') });
  });

  it('refuses a pushedAt that is not an ISO-8601 time', () => {
    const fixture = load('image-pushed.json');
    const result = parseFixture(fixture, { ...fixture.body, pushedAt: 'yesterday' });
    expect(result).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('pushedAt') });
  });

  it('puts an image without a host on Docker Hub when the source names no registry host', () => {
    const fixture = load('image-pushed.json');
    const { registryHost: _removed, ...source } = fixture.source;
    const result = parseFixture({ ...fixture, source }, { ...fixture.body, image: 'acme/api' });
    expect(result.kind === 'events' && result.events[0]?.image).toBe('docker.io/acme/api');
  });

  it('takes the delivery id from X-Relay-Delivery, then the body id', () => {
    const fixture = load('git-push.json');
    expect(eventsDeliveryIdOf(parseFixture(fixture))).toBe('pipeline-99812');
    expect(eventsDeliveryIdOf(parseFixture(fixture, fixture.body, { headers: { ...fixture.headers, 'x-relay-delivery': 'run-7' } }))).toBe('run-7');
  });

  it('derives a delivery id that a retry repeats, even re-serialized, and another push does not', () => {
    const fixture = load('git-push.json');
    const { id: _removed, ...body } = fixture.body;
    const first = eventsDeliveryIdOf(parseFixture(fixture, body));
    expect(first).toMatch(/^derived-/);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    expect(eventsDeliveryIdOf(parseFixture(fixture, reordered))).toBe(first);
    expect(eventsDeliveryIdOf(parseFixture(fixture, { ...body, commit: 'e4b8c1d2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8' }))).not.toBe(first);
    expect(eventsDeliveryIdOf(parseFixture(fixture, { ...body, branch: undefined, tag: 'main' }))).not.toBe(first);
  });
});

describe('generic authenticate', () => {
  const source: SourceConfig = { name: 'ci', type: 'generic', secret: 'relay-test-secret' };
  const body = Buffer.from('{"repository":"acme/api","branch":"main"}');
  const nowSeconds = Math.floor(NOW.getTime() / 1000);
  const hex = (data: string | Buffer) => createHmac('sha256', 'relay-test-secret').update(data).digest('hex');
  const auth = (headers: Record<string, string>) => generic.authenticate(source, { headers, rawBody: body, now: NOW });

  it('accepts a body signature without a timestamp', () => {
    expect(auth({ 'x-relay-signature': `sha256=${hex(body)}` })).toEqual({ ok: true, signature: hex(body) });
  });

  it('refuses a timestamped signature whose timestamp was stripped', () => {
    expect(auth({ 'x-relay-signature': `sha256=${hex(`${nowSeconds}.${body.toString()}`)}` }).ok).toBe(false);
  });

  it('refuses a timestamp changed after signing', () => {
    const signature = `sha256=${hex(`${nowSeconds}.${body.toString()}`)}`;
    expect(auth({ 'x-relay-timestamp': String(nowSeconds + 1), 'x-relay-signature': signature }).ok).toBe(false);
  });

  it('refuses a timestamp more than five minutes in the future', () => {
    const timestamp = nowSeconds + 301;
    const result = auth({ 'x-relay-timestamp': String(timestamp), 'x-relay-signature': `sha256=${hex(`${timestamp}.${body.toString()}`)}` });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('X-Relay-Timestamp') });
  });

  it('refuses a timestamp that is not unix seconds', () => {
    const timestamp = NOW.toISOString();
    const result = auth({ 'x-relay-timestamp': timestamp, 'x-relay-signature': `sha256=${hex(`${timestamp}.${body.toString()}`)}` });
    expect(result).toEqual({ ok: false, reason: 'X-Relay-Timestamp must be a unix time in seconds' });
  });
});
