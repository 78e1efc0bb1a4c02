import { describe, expect, it } from 'vitest';
import { ecr } from '../../../src/sources/ecr.js';
import { eventsDeliveryIdOf, expectFixtureOutcome, type Fixture, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

const fixtures = loadFixtures('ecr');
const load = (name: string) => loadFixture('ecr', name);

function withDetail(fixture: Fixture, detail: Record<string, unknown>, top: Record<string, unknown> = {}) {
  return { ...fixture.body, ...top, detail: { ...(fixture.body.detail as object), ...detail } };
}

describe('ecr parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('uses the EventBridge event id as the delivery id, so a retry collides and another push does not', () => {
    const fixture = load('push-tag.json');
    const deliveryId = (body: unknown) => eventsDeliveryIdOf(parseFixture(fixture, body));
    expect(deliveryId(fixture.body)).toBe('4f7c2a91-6b3e-1d0a-9e55-8a2f4c7b1e03');
    expect(deliveryId(structuredClone(fixture.body))).toBe(deliveryId(fixture.body));
    const next = withDetail(fixture, { 'image-tag': '1.4.3' }, { id: '5a8d3b02-7c4f-2e1b-0f66-9b3a5d8c2f14' });
    expect(deliveryId(next)).not.toBe(deliveryId(fixture.body));
  });

  it('names China-region registries under amazonaws.com.cn', () => {
    const result = parseFixture(load('push-tag.json'), { ...load('push-tag.json').body, region: 'cn-north-1' });
    expect(result.kind === 'events' && result.events[0]?.image).toBe('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/acme/api');
  });

  it('ignores a failed push and says why', () => {
    const fixture = load('push-tag.json');
    const result = parseFixture(fixture, withDetail(fixture, { result: 'FAILURE' }));
    expect(result).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('FAILURE') });
  });

  it('ignores other EventBridge events such as image scans', () => {
    const fixture = load('push-tag.json');
    const scan = { ...fixture.body, 'detail-type': 'ECR Image Scan', detail: { 'scan-status': 'COMPLETE' } };
    expect(parseFixture(fixture, scan)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('ECR Image Scan') });
  });

  it('keeps what it could read of an ignored deletion for the history', () => {
    const result = parseFixture(load('delete.json'));
    expect(result.kind === 'ignored' && result.read).toMatchObject({ image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/acme/api', tag: '1.4.2' });
  });

  it('is invalid when the event lacks what EventBridge always sends', () => {
    const fixture = load('push-tag.json');
    const { account: _account, ...withoutAccount } = fixture.body;
    expect(parseFixture(fixture, withoutAccount)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('account') });
    expect(parseFixture(fixture, withDetail(fixture, { 'repository-name': undefined }))).toMatchObject({ kind: 'invalid' });
  });
});

describe('ecr authenticate', () => {
  it('refuses a source with no header configured', () => {
    const fixture = load('push-tag.json');
    const { header: _header, ...source } = fixture.source;
    const request = { headers: { 'x-relay-key': 'anything' }, rawBody: Buffer.from('{}'), now: new Date() };
    expect(ecr.authenticate(source, request)).toMatchObject({ ok: false, reason: expect.stringContaining('no header') });
  });
});
