import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { github } from '../../../src/sources/github.js';
import type { SourceConfig, WebhookRequest } from '../../../src/sources/types.js';

interface Fixture {
  description: string;
  source: SourceConfig;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  expect: { kind: string; events?: object[]; reason?: string };
}

const DIR = fileURLToPath(new URL('../../fixtures/github/', import.meta.url));
const fixtures = readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, ...(JSON.parse(readFileSync(DIR + name, 'utf8')) as Fixture) }));

function load(name: string): Fixture {
  const fixture = fixtures.find((f) => f.name === name);
  if (!fixture) throw new Error(`no fixture ${name}`);
  return structuredClone(fixture);
}

function parse(fixture: Fixture, body: unknown = fixture.body, headers: Record<string, string> = fixture.headers) {
  const request: WebhookRequest = { headers, rawBody: Buffer.from(JSON.stringify(body)), now: new Date('2026-11-20T10:00:00Z') };
  return github.parse(fixture.source, request, body);
}

/** The package object of a package fixture, whichever key (package / registry_package) holds it. */
function pkgOf(body: Record<string, unknown>): Record<string, unknown> {
  return (body.package ?? body.registry_package) as Record<string, unknown>;
}

function versionOf(body: Record<string, unknown>): Record<string, unknown> {
  return pkgOf(body).package_version as Record<string, unknown>;
}

describe('github parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    const result = parse(fixture);
    expect(result.kind).toBe(fixture.expect.kind);
    if (result.kind === 'events') expect(result.events).toMatchObject(fixture.expect.events ?? []);
    if (result.kind === 'ignored' || result.kind === 'invalid') expect(result.reason).toContain(fixture.expect.reason);
  });

  it('answers a ping as a ping', () => {
    const fixture = load('push-branch.json');
    const result = parse(fixture, { zen: 'Keep it logically awesome.', hook_id: 1 }, { ...fixture.headers, 'x-github-event': 'ping' });
    expect(result).toEqual({ kind: 'ping', deliveryId: fixture.headers['x-github-delivery'], event: 'ping' });
  });

  it('ignores events that do not deploy, naming them', () => {
    const fixture = load('push-branch.json');
    const result = parse(fixture, { action: 'opened' }, { ...fixture.headers, 'x-github-event': 'pull_request' });
    expect(result).toMatchObject({ kind: 'ignored', reason: 'GitHub event "pull_request" does not deploy' });
  });

  it('ignores a deleted branch', () => {
    const fixture = load('push-branch.json');
    const result = parse(fixture, { ...fixture.body, deleted: true, after: '0'.repeat(40), head_commit: null });
    expect(result).toMatchObject({ kind: 'ignored', reason: 'refs/heads/main was deleted' });
  });

  it('uses X-GitHub-Delivery as the delivery id of a package event', () => {
    const fixture = load('package-published.json');
    const result = parse(fixture);
    expect(result.kind === 'events' && result.deliveryId).toBe(fixture.headers['x-github-delivery']);
  });

  it('reads the same package event under its older registry_package name', () => {
    const fixture = load('package-published.json');
    const { package: pkg, ...rest } = fixture.body;
    const result = parse(fixture, { ...rest, registry_package: pkg }, { ...fixture.headers, 'x-github-event': 'registry_package' });
    expect(result).toMatchObject({ kind: 'events', events: [{ event: 'registry_package', image: 'ghcr.io/acme/api', tag: 'v1.4.0' }] });
  });

  it('records what an untagged child manifest was, so the history shows it', () => {
    const result = parse(load('registry-package-child-manifest.json'));
    expect(result).toMatchObject({
      kind: 'ignored',
      read: { image: 'ghcr.io/acme/api', digest: expect.stringMatching(/^sha256:9a8b/) },
    });
  });

  it('ignores package actions other than published and updated', () => {
    const fixture = load('package-published.json');
    const result = parse(fixture, { ...fixture.body, action: 'deleted' });
    expect(result).toMatchObject({ kind: 'ignored', reason: 'package action "deleted" does not deploy' });
  });

  it('ignores packages that are not container images, whatever their version looks like', () => {
    const fixture = load('package-published.json');
    Object.assign(pkgOf(fixture.body), { package_type: 'npm', ecosystem: 'npm', registry: { type: 'npm' }, package_version: null });
    const result = parse(fixture);
    expect(result).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('not a container image') });
  });

  it("leaves pushedAt out when GitHub sends Go's zero time", () => {
    const fixture = load('package-published.json');
    Object.assign(versionOf(fixture.body), { created_at: '0001-01-01T00:00:00Z', updated_at: '0001-01-01T00:00:00Z' });
    const result = parse(fixture);
    expect(result.kind === 'events' && result.events[0]).not.toHaveProperty('pushedAt');
  });

  it('keeps nested package names and lower-cases the whole image', () => {
    const fixture = load('package-published.json');
    Object.assign(pkgOf(fixture.body), { name: 'API/Worker' });
    const result = parse(fixture);
    expect(result.kind === 'events' && result.events[0]?.image).toBe('ghcr.io/acme/api/worker');
  });

  it('is invalid when a container package lacks its version', () => {
    const fixture = load('package-published.json');
    pkgOf(fixture.body).package_version = null;
    expect(parse(fixture)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('package_version') });
  });

  it('is invalid when the package lacks its owner', () => {
    const fixture = load('package-published.json');
    delete pkgOf(fixture.body).owner;
    const result = parse(fixture);
    expect(result).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('package.owner') });
  });
});
