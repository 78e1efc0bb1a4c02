import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { distribution } from '../../../src/sources/distribution.js';
import type { ParseResult, SourceConfig, WebhookRequest } from '../../../src/sources/types.js';

interface RegistryEvent {
  id: string;
  action: string;
  target: Record<string, unknown>;
  request?: Record<string, unknown>;
}

interface Fixture {
  description: string;
  source: SourceConfig;
  headers: Record<string, string>;
  body: { events: RegistryEvent[] };
  expect: { kind: string; events?: object[]; reason?: string };
}

const DIR = fileURLToPath(new URL('../../fixtures/distribution/', import.meta.url));
const fixtures = readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, ...(JSON.parse(readFileSync(DIR + name, 'utf8')) as Fixture) }));

function load(name: string): Fixture {
  const fixture = fixtures.find((f) => f.name === name);
  if (!fixture) throw new Error(`no fixture ${name}`);
  return fixture;
}

function parse(fixture: Fixture, body: unknown = fixture.body, source = fixture.source): ParseResult {
  const request: WebhookRequest = { headers: fixture.headers, rawBody: Buffer.from(JSON.stringify(body)), now: new Date('2026-11-20T10:00:00Z') };
  return distribution.parse(source, request, body);
}

const deliveryId = (result: ParseResult) => (result.kind === 'invalid' ? undefined : result.deliveryId);
const singleArch = () => load('push-single-arch.json');

describe('distribution parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    const result = parse(fixture);
    expect(result.kind).toBe(fixture.expect.kind);
    if (result.kind === 'events') expect(result.events).toEqual(fixture.expect.events?.map((e) => expect.objectContaining(e)));
    if (result.kind === 'ignored' || result.kind === 'invalid') expect(result.reason).toContain(fixture.expect.reason);
  });

  it('says why each skipped entry of a deploying envelope did not deploy', () => {
    const result = parse(load('push-multi-arch-two-tags.json'));
    expect(result.kind === 'events' && result.skipped).toEqual([expect.stringContaining('pushed by digest')]);
    const blobs = parse(singleArch());
    expect(blobs.kind === 'events' && blobs.skipped).toHaveLength(2);
  });

  it('derives a delivery id from the event ids: a retried envelope collides in any order, another push does not', () => {
    const fixture = singleArch();
    const reordered = { events: [...fixture.body.events].reverse() };
    expect(deliveryId(parse(fixture, reordered))).toBe(deliveryId(parse(fixture)));
    const nextPush = { events: fixture.body.events.map((e) => ({ ...e, id: `${e.id}-next` })) };
    expect(deliveryId(parse(fixture, nextPush))).not.toBe(deliveryId(parse(fixture)));
  });

  it('uses registryHost instead of request.host when the source sets it', () => {
    const fixture = singleArch();
    const result = parse(fixture, fixture.body, { ...fixture.source, registryHost: 'registry.example.org' });
    expect(result.kind === 'events' && result.events[0]?.image).toBe('registry.example.org/acme/api');
  });

  it('skips a tagged manifest push that names no host', () => {
    const fixture = singleArch();
    const events = fixture.body.events.map((e) => {
      const { request: _request, ...rest } = e;
      return rest;
    });
    expect(parse(fixture, { events })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('no tagged manifest push') });
  });

  it('ignores deletions', () => {
    const fixture = singleArch();
    const deletion = { events: [{ id: 'del-1', timestamp: '2026-11-22T08:00:00Z', action: 'delete', target: { digest: 'sha256:aa', repository: 'acme/api' } }] };
    expect(parse(fixture, deletion)).toMatchObject({ kind: 'ignored', event: 'delete', reason: expect.stringContaining('delete of acme/api') });
  });

  it('is invalid without events or with an entry lacking its target', () => {
    const fixture = singleArch();
    expect(parse(fixture, { events: [] })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('events') });
    const noTarget = { events: [{ id: 'x', action: 'push' }] };
    expect(parse(fixture, noTarget)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('target') });
  });
});
