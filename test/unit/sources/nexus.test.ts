import { describe, expect, it } from 'vitest';
import { nexus } from '../../../src/sources/nexus.js';
import { expectFixtureOutcome, type Fixture, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

type NexusFixture = Fixture<{ component: Record<string, unknown> } & Record<string, unknown>>;

const fixtures = loadFixtures<NexusFixture>('nexus');
const created = () => loadFixture<NexusFixture>('nexus', 'docker-component-created.json');

describe('nexus parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('uses X-Nexus-Webhook-Delivery as the delivery id: a redelivery repeats it, another event has its own', () => {
    const fixture = created();
    const result = parseFixture(fixture);
    expect(result.kind === 'events' && result.deliveryId).toBe('d41f7a3c-0e82-4b6d-95c1-7a3e2f8b6d10');
    const other = parseFixture(fixture, fixture.body, { headers: { ...fixture.headers, 'x-nexus-webhook-delivery': 'e0b2d4f6-a8c0-4e2b-9d6f-8a0c2e4b6d8f' } });
    expect(other.kind === 'events' && other.deliveryId).not.toBe(result.kind === 'events' && result.deliveryId);
  });

  it('deploys an UPDATED docker component (a tag pushed again)', () => {
    const fixture = created();
    expect(parseFixture(fixture, { ...fixture.body, action: 'UPDATED' })).toMatchObject({ kind: 'events', events: [{ tag: '1.4.2' }] });
  });

  it('puts the image under a subdomain-connector registry host', () => {
    const fixture = created();
    const source = { ...fixture.source, registryHost: 'docker-hosted.nexus.acme.com/' };
    const result = nexus.parse(source, { headers: fixture.headers, rawBody: Buffer.from('{}'), now: new Date() }, fixture.body);
    expect(result.kind === 'events' && result.events[0]?.image).toBe('docker-hosted.nexus.acme.com/acme/api');
  });

  it('ignores asset and other webhook events', () => {
    const fixture = created();
    const asset = parseFixture(fixture, fixture.body, { headers: { ...fixture.headers, 'x-nexus-webhook-id': 'rm:repository:asset' } });
    expect(asset).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('rm:repository:asset') });
  });

  it('is invalid without its event or delivery header, or without the component', () => {
    const fixture = created();
    const { 'x-nexus-webhook-delivery': _delivery, ...noDelivery } = fixture.headers;
    expect(parseFixture(fixture, fixture.body, { headers: noDelivery })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('Delivery') });
    const { 'x-nexus-webhook-id': _id, ...noId } = fixture.headers;
    expect(parseFixture(fixture, fixture.body, { headers: noId })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('Webhook-Id') });
    const { component: _component, ...noComponent } = fixture.body;
    expect(parseFixture(fixture, noComponent)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('component') });
  });
});
