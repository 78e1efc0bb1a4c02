import { describe, expect, it } from 'vitest';
import { deliveryIdOf, type Fixture, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

interface RegistryEvent {
  id: string;
  action: string;
  target: Record<string, unknown>;
  request?: Record<string, unknown>;
}

type DistributionFixture = Fixture<{ events: RegistryEvent[] }>;

const fixtures = loadFixtures<DistributionFixture>('distribution');
const load = (name: string) => loadFixture<DistributionFixture>('distribution', name);
const singleArch = () => load('push-single-arch.json');

describe('distribution parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    const result = parseFixture(fixture);
    expect(result.kind).toBe(fixture.expect.kind);
    if (result.kind === 'events') expect(result.events).toEqual(fixture.expect.events?.map((e) => expect.objectContaining(e)));
    if (result.kind === 'ignored' || result.kind === 'invalid') expect(result.reason).toContain(fixture.expect.reason);
  });

  it('says why each skipped entry of a deploying envelope did not deploy', () => {
    const result = parseFixture(load('push-multi-arch-two-tags.json'));
    expect(result.kind === 'events' && result.skipped).toEqual([expect.stringContaining('pushed by digest')]);
    const blobs = parseFixture(singleArch());
    expect(blobs.kind === 'events' && blobs.skipped).toHaveLength(2);
  });

  it('derives a delivery id from the event ids: a retried envelope collides in any order, another push does not', () => {
    const fixture = singleArch();
    const reordered = { events: [...fixture.body.events].reverse() };
    expect(deliveryIdOf(parseFixture(fixture, reordered))).toBe(deliveryIdOf(parseFixture(fixture)));
    const nextPush = { events: fixture.body.events.map((e) => ({ ...e, id: `${e.id}-next` })) };
    expect(deliveryIdOf(parseFixture(fixture, nextPush))).not.toBe(deliveryIdOf(parseFixture(fixture)));
  });

  it('uses registryHost instead of request.host when the source sets it', () => {
    const fixture = singleArch();
    const result = parseFixture(fixture, fixture.body, { source: { ...fixture.source, registryHost: 'registry.example.org' } });
    expect(result.kind === 'events' && result.events[0]?.image).toBe('registry.example.org/acme/api');
  });

  it('skips a tagged manifest push that names no host', () => {
    const fixture = singleArch();
    const events = fixture.body.events.map((e) => {
      const { request: _request, ...rest } = e;
      return rest;
    });
    expect(parseFixture(fixture, { events })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('no tagged manifest push') });
  });

  it('ignores deletions', () => {
    const fixture = singleArch();
    const deletion = {
      events: [{ id: 'del-1', timestamp: '2026-11-22T08:00:00Z', action: 'delete', target: { digest: 'sha256:aa', repository: 'acme/api' } }],
    };
    expect(parseFixture(fixture, deletion)).toMatchObject({ kind: 'ignored', event: 'delete', reason: expect.stringContaining('delete of acme/api') });
  });

  it('is invalid without events or with an entry lacking its target', () => {
    const fixture = singleArch();
    expect(parseFixture(fixture, { events: [] })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('events') });
    const noTarget = { events: [{ id: 'x', action: 'push' }] };
    expect(parseFixture(fixture, noTarget)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('target') });
  });
});
