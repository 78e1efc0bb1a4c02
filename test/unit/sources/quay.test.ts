import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { quay } from '../../../src/sources/quay.js';
import type { SourceConfig, WebhookRequest } from '../../../src/sources/types.js';

interface Fixture {
  description: string;
  source: SourceConfig;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  expect: { kind: string; events?: object[]; reason?: string };
}

const DIR = fileURLToPath(new URL('../../fixtures/quay/', import.meta.url));
const fixtures = readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, ...(JSON.parse(readFileSync(DIR + name, 'utf8')) as Fixture) }));
function load(name: string): Fixture {
  const fixture = fixtures.find((f) => f.name === name);
  if (!fixture) throw new Error(`no fixture ${name}`);
  return fixture;
}

const NOW = new Date('2026-11-21T10:15:12Z');

function parse(fixture: Fixture, body: unknown = fixture.body, now = NOW) {
  const request: WebhookRequest = { headers: fixture.headers, rawBody: Buffer.from(JSON.stringify(body)), now };
  return quay.parse(fixture.source, request, body);
}

const deliveryId = (result: ReturnType<typeof parse>) => (result.kind === 'invalid' ? undefined : result.deliveryId);

describe('quay parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    const result = parse(fixture);
    expect(result.kind).toBe(fixture.expect.kind);
    if (result.kind === 'events') expect(result.events).toMatchObject(fixture.expect.events ?? []);
    if (result.kind === 'ignored' || result.kind === 'invalid') expect(result.reason).toContain(fixture.expect.reason);
  });

  it('gives a retry of the same notification within a minute the same delivery id', () => {
    const fixture = load('repo-push.json');
    const first = deliveryId(parse(fixture));
    expect(first).toMatch(/^derived-/);
    expect(deliveryId(parse(fixture, structuredClone(fixture.body), new Date(NOW.getTime() + 30_000)))).toBe(first);
  });

  it('gives another tag, and a later push of the same tag, another delivery id', () => {
    const fixture = load('repo-push.json');
    const first = deliveryId(parse(fixture));
    expect(deliveryId(parse(fixture, { ...fixture.body, updated_tags: ['v3.2.1'] }))).not.toBe(first);
    // Quay sends the same body for a new image under the same tag: it must not be swallowed as a repeat.
    expect(deliveryId(parse(fixture, fixture.body, new Date(NOW.getTime() + 5 * 60_000)))).not.toBe(first);
  });

  it('reads the old updated_tags map of tag to image id', () => {
    const fixture = load('repo-push.json');
    const result = parse(fixture, { ...fixture.body, updated_tags: { latest: 'b750fe79269d2ec9a3c593ef05b4332b1d1a02a62b4accb2c21d589ff2f5f2dc' } });
    expect(result).toMatchObject({ kind: 'events', events: [{ image: 'quay.io/acme/app', tag: 'latest' }] });
  });

  it('ignores vulnerability and mirror notifications, and a push that lists no tag', () => {
    const fixture = load('repo-push.json');
    const { updated_tags: _tags, ...repository } = fixture.body;
    expect(parse(fixture, { ...repository, tags: ['latest'], vulnerability: { id: 'CVE-2026-0001', priority: 'High' } })).toMatchObject({
      kind: 'ignored',
      event: 'vulnerability_found',
    });
    expect(parse(fixture, { ...repository, message: 'mirror started' })).toMatchObject({ kind: 'ignored', event: 'repo_mirror_sync' });
    expect(parse(fixture, { ...fixture.body, updated_tags: [] })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('no updated tag') });
  });

  it('is invalid when the notification lacks what Quay always sends', () => {
    const fixture = load('repo-push.json');
    const { docker_url: _url, ...withoutUrl } = fixture.body;
    expect(parse(fixture, withoutUrl)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('docker_url') });
    expect(parse(fixture, { ...fixture.body, updated_tags: 'latest' })).toMatchObject({ kind: 'invalid' });
  });
});

describe('quay authenticate', () => {
  const fixture = load('repo-push.json');
  const request = (pathToken?: string): WebhookRequest => ({ headers: {}, rawBody: Buffer.from('{}'), now: NOW, ...(pathToken !== undefined && { pathToken }) });

  it('accepts the configured token in the path and refuses another or none', () => {
    expect(quay.authenticate(fixture.source, request('quay-test-token-7f3a9c'))).toEqual({ ok: true });
    expect(quay.authenticate(fixture.source, request('quay-test-token-7f3a9'))).toMatchObject({ ok: false, reason: expect.stringContaining('wrong') });
    expect(quay.authenticate(fixture.source, request())).toMatchObject({ ok: false, reason: expect.stringContaining('missing token') });
  });
});
