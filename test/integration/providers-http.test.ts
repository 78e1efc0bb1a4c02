import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFixtures, type Fixture } from '../support/fixtures.js';
import { startTestRelay, type TestRelay } from '../support/relay.js';
import type { SourceConfig } from '../../src/sources/types.js';

/**
 * Every vendor-shaped fixture goes through the real HTTP surface: a push maps to its job and tag
 * or commit, an ignored event is answered with its reason, a repeat is a duplicate, and a forged
 * request is refused.
 */
const fixtures = allFixtures();
const sourceName = (i: number) => `f${i}`;
const jobIdFor = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function rulesFor(list: readonly Fixture[]): string {
  const sources = list.map((f, i) => ({ ...f.source, name: sourceName(i) }));
  const routes = list.flatMap((f, i) => {
    const first = f.expect.events?.[0] as { commit?: string; tag?: string } | undefined;
    if (f.expect.kind !== 'events' || !first) return [];
    return [{ name: `r${i}`, source: sourceName(i), target: { jobId: jobIdFor(i) }, deploy: first.tag !== undefined ? 'tag' : 'commit' }];
  });
  return JSON.stringify({ sources, routes });
}

function forged(source: SourceConfig): SourceConfig {
  const swap = (v: string | undefined) => (v === undefined ? undefined : `${v}-forged`);
  return {
    ...source,
    secret: swap(source.secret),
    token: swap(source.token),
    signingSecret: source.signingSecret && `whsec_${Buffer.from('forged-key-of-32-bytes-length!!').toString('base64')}`,
    ...(source.header && { header: { ...source.header, value: `${source.header.value}-forged` } }),
  } as SourceConfig;
}

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay(rulesFor(fixtures), { RELAY_ROLE: 'api' });
});
afterAll(async () => relay?.close());

describe.each(fixtures.map((f, i) => [f.path, f, i] as const))('%s through HTTP', (_path, fixture, i) => {
  it(`answers as its expectation says (${fixture.expect.kind})`, async () => {
    const response = await relay.post(sourceName(i), fixture.body, fixture.headers);
    switch (fixture.expect.kind) {
      case 'events': {
        const events = fixture.expect.events as Array<{ commit?: string; tag?: string; pushedAt?: string }>;
        expect(response.statusCode, JSON.stringify(response.json)).toBe(202);
        // Every event routes to the fixture's one job, so only the newest becomes a deployment
        // (push time, then the later event), and the others are listed as skipped.
        const time = (e: { pushedAt?: string } | undefined) => (e?.pushedAt ? Date.parse(e.pushedAt) : -Infinity);
        const newest = events.reduce((best, event) => (time(event) >= time(best) ? event : best), events[0]);
        const byTag = events[0]?.tag !== undefined;
        expect(response.json.deployments).toHaveLength(1);
        expect(response.json.deployments[0].jobId).toBe(jobIdFor(i));
        expect(byTag ? response.json.deployments[0].imageTag : response.json.deployments[0].gitCommitId).toBe(byTag ? newest?.tag : newest?.commit);
        if (events.length > 1) expect(response.json.skipped).toEqual(expect.arrayContaining([expect.stringContaining('a newer event of this delivery')]));
        const repeat = await relay.post(sourceName(i), fixture.body, fixture.headers);
        expect(repeat.statusCode).toBe(200);
        expect(repeat.json).toMatchObject({ duplicate: true, deliveryId: response.json.deliveryId });
        break;
      }
      case 'ignored':
        expect(response.statusCode, JSON.stringify(response.json)).toBe(202);
        expect(response.json.ignored).toContain(fixture.expect.reason ?? '');
        break;
      case 'ping':
        expect(response.statusCode).toBe(200);
        break;
      case 'invalid':
        expect(response.statusCode).toBe(400);
        expect(response.json.code).toBe('RELAY_PAYLOAD_INVALID');
        break;
      default:
        throw new Error(`fixture ${fixture.path} expects an unknown kind ${fixture.expect.kind}`);
    }
  });

  it('refuses the same delivery signed with the wrong secret', async () => {
    const { sign } = await import('../fakes/signers.js');
    const raw = Buffer.from(JSON.stringify(fixture.body));
    const wrong = sign(forged({ ...fixture.source, name: sourceName(i) }), raw);
    const response = await relay.post(
      sourceName(i),
      undefined,
      { ...fixture.headers, ...wrong.headers },
      { raw, unsigned: true, ...(wrong.pathToken !== undefined && { pathToken: wrong.pathToken }) },
    );
    expect(response.statusCode).toBe(401);
    expect(response.json.code).toBe('RELAY_SIGNATURE_INVALID');
  });
});
