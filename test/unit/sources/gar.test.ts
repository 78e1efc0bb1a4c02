import { describe, expect, it } from 'vitest';
import { gar } from '../../../src/sources/gar.js';
import type { WebhookRequest } from '../../../src/sources/types.js';
import { deliveryIdOf, expectFixtureOutcome, type Fixture, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

interface PushBody {
  message: { data: string; messageId?: string; message_id?: string; publishTime?: string; publish_time?: string; attributes?: object };
  subscription: string;
}

type GarFixture = Fixture<PushBody> & {
  /** The base64 `message.data`, decoded, so the fixture can be read; checked against the data below. */
  decodedData: Record<string, unknown>;
};

const fixtures = loadFixtures<GarFixture>('gar');
const load = (name: string) => loadFixture<GarFixture>('gar', name);

const encode = (data: unknown): string => Buffer.from(JSON.stringify(data)).toString('base64');

function withMessage(fixture: GarFixture, message: Partial<PushBody['message']>): PushBody {
  return { ...fixture.body, message: { ...fixture.body.message, ...message } };
}

describe('gar parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expect(JSON.parse(Buffer.from(fixture.body.message.data, 'base64').toString('utf8'))).toEqual(fixture.decodedData);
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('uses the Pub/Sub message id, which a redelivery repeats and another message does not', () => {
    const fixture = load('insert-tag.json');
    expect(deliveryIdOf(parseFixture(fixture))).toBe('13419835720987651');
    expect(deliveryIdOf(parseFixture(fixture, structuredClone(fixture.body)))).toBe('13419835720987651');
    const next = withMessage(fixture, {
      data: encode({ ...fixture.decodedData, tag: 'us-docker.pkg.dev/acme-prod/containers/api:v5.0.2' }),
      messageId: '13419835720990001',
      message_id: '13419835720990001',
    });
    expect(deliveryIdOf(parseFixture(fixture, next))).toBe('13419835720990001');
  });

  it('reads the snake_case message_id and publish_time alone', () => {
    const fixture = load('insert-tag.json');
    const { messageId: _id, publishTime: _time, ...snake } = fixture.body.message;
    expect(parseFixture(fixture, { ...fixture.body, message: snake })).toMatchObject({
      kind: 'events',
      deliveryId: '13419835720987651',
      events: [{ pushedAt: '2026-11-21T18:03:44.512Z' }],
    });
  });

  it('reads Container Registry (gcr.io) and registry hosts with a port from the tag reference', () => {
    const fixture = load('insert-tag.json');
    const gcr = withMessage(fixture, {
      data: encode({ action: 'INSERT', digest: 'gcr.io/acme-legacy/web@sha256:ab12', tag: 'gcr.io/acme-legacy/web:latest' }),
    });
    expect(parseFixture(fixture, gcr)).toMatchObject({ kind: 'events', events: [{ image: 'gcr.io/acme-legacy/web', tag: 'latest', digest: 'sha256:ab12' }] });
  });

  it('is invalid when the push or its data lacks what Pub/Sub and Artifact Registry always send', () => {
    const fixture = load('insert-tag.json');
    const { messageId: _a, message_id: _b, ...withoutId } = fixture.body.message;
    expect(parseFixture(fixture, { ...fixture.body, message: withoutId })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('messageId') });
    expect(parseFixture(fixture, withMessage(fixture, { data: 'not base64 json!' }))).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('message.data'),
    });
    expect(parseFixture(fixture, withMessage(fixture, { data: encode({ digest: 'x' }) }))).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('action'),
    });
    // An unwrapped delivery (payload unwrapping on) is the bare notification: not this shape.
    expect(parseFixture(fixture, fixture.decodedData)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('message') });
  });
});

describe('gar authenticate', () => {
  const fixture = load('insert-tag.json');
  const request = (pathToken?: string): WebhookRequest => ({
    headers: {},
    rawBody: Buffer.from('{}'),
    now: new Date(),
    ...(pathToken !== undefined && { pathToken }),
  });

  it('accepts the configured token in the push endpoint path and refuses another or none', () => {
    expect(gar.authenticate(fixture.source, request('gar-test-token-c81e2b'))).toEqual({ ok: true });
    expect(gar.authenticate(fixture.source, request('gar-test-token-c81e2c'))).toMatchObject({ ok: false, reason: expect.stringContaining('wrong') });
    expect(gar.authenticate(fixture.source, request())).toMatchObject({ ok: false, reason: expect.stringContaining('missing token') });
  });
});
