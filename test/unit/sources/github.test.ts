import { describe, expect, it } from 'vitest';
import { expectFixtureOutcome, loadFixture, loadFixtures, parseFixture } from '../../support/fixtures.js';

const fixtures = loadFixtures('github');
const load = (name: string) => loadFixture('github', name);

/** The package object of a package fixture, whichever key (package / registry_package) holds it. */
function pkgOf(body: Record<string, unknown>): Record<string, unknown> {
  return (body.package ?? body.registry_package) as Record<string, unknown>;
}

function versionOf(body: Record<string, unknown>): Record<string, unknown> {
  return pkgOf(body).package_version as Record<string, unknown>;
}

describe('github parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    expectFixtureOutcome(parseFixture(fixture), fixture.expect);
  });

  it('answers a ping as a ping', () => {
    const fixture = load('push-branch.json');
    const result = parseFixture(fixture, { zen: 'Keep it logically awesome.', hook_id: 1 }, { headers: { ...fixture.headers, 'x-github-event': 'ping' } });
    expect(result).toEqual({ kind: 'ping', deliveryId: fixture.headers['x-github-delivery'], event: 'ping' });
  });

  it('ignores events that do not deploy, naming them', () => {
    const fixture = load('push-branch.json');
    const result = parseFixture(fixture, { action: 'opened' }, { headers: { ...fixture.headers, 'x-github-event': 'pull_request' } });
    expect(result).toMatchObject({ kind: 'ignored', reason: 'GitHub event "pull_request" does not deploy' });
  });

  it('ignores a deleted branch', () => {
    const fixture = load('push-branch.json');
    const result = parseFixture(fixture, { ...fixture.body, deleted: true, after: '0'.repeat(40), head_commit: null });
    expect(result).toMatchObject({ kind: 'ignored', reason: 'refs/heads/main was deleted' });
  });

  it('uses X-GitHub-Delivery as the delivery id of a package event', () => {
    const fixture = load('package-published.json');
    const result = parseFixture(fixture);
    expect(result.kind === 'events' && result.deliveryId).toBe(fixture.headers['x-github-delivery']);
  });

  it('reads the same package event under its older registry_package name', () => {
    const fixture = load('package-published.json');
    const { package: pkg, ...rest } = fixture.body;
    const result = parseFixture(fixture, { ...rest, registry_package: pkg }, { headers: { ...fixture.headers, 'x-github-event': 'registry_package' } });
    expect(result).toMatchObject({ kind: 'events', events: [{ event: 'registry_package', image: 'ghcr.io/acme/api', tag: 'v1.4.0' }] });
  });

  it('records what an untagged child manifest was, so the history shows it', () => {
    const result = parseFixture(load('registry-package-child-manifest.json'));
    expect(result).toMatchObject({
      kind: 'ignored',
      read: { image: 'ghcr.io/acme/api', digest: expect.stringMatching(/^sha256:9a8b/) },
    });
  });

  it('ignores package actions other than published and updated', () => {
    const fixture = load('package-published.json');
    const result = parseFixture(fixture, { ...fixture.body, action: 'deleted' });
    expect(result).toMatchObject({ kind: 'ignored', reason: 'package action "deleted" does not deploy' });
  });

  it('ignores packages that are not container images, whatever their version looks like', () => {
    const fixture = load('package-published.json');
    Object.assign(pkgOf(fixture.body), { package_type: 'npm', ecosystem: 'npm', registry: { type: 'npm' }, package_version: null });
    const result = parseFixture(fixture);
    expect(result).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('not a container image') });
  });

  it("leaves pushedAt out when GitHub sends Go's zero time", () => {
    const fixture = load('package-published.json');
    Object.assign(versionOf(fixture.body), { created_at: '0001-01-01T00:00:00Z', updated_at: '0001-01-01T00:00:00Z' });
    const result = parseFixture(fixture);
    expect(result.kind === 'events' && result.events[0]).not.toHaveProperty('pushedAt');
  });

  it('keeps nested package names and lower-cases the whole image', () => {
    const fixture = load('package-published.json');
    Object.assign(pkgOf(fixture.body), { name: 'API/Worker' });
    const result = parseFixture(fixture);
    expect(result.kind === 'events' && result.events[0]?.image).toBe('ghcr.io/acme/api/worker');
  });

  it('is invalid when a container package lacks its version', () => {
    const fixture = load('package-published.json');
    pkgOf(fixture.body).package_version = null;
    expect(parseFixture(fixture)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('package_version') });
  });

  it('is invalid when the package lacks its owner', () => {
    const fixture = load('package-published.json');
    delete pkgOf(fixture.body).owner;
    const result = parseFixture(fixture);
    expect(result).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('package.owner') });
  });
});

describe('github push edge cases', () => {
  it('reads an unreadable head commit time as no push time instead of throwing', () => {
    const fixture = load('push-branch.json');
    const body = structuredClone(fixture.body) as { head_commit: { timestamp: string } };
    body.head_commit.timestamp = 'yesterday-ish';
    const result = parseFixture(fixture, body);
    expect(result).toMatchObject({ kind: 'events' });
    expect((result as unknown as { events: Array<{ pushedAt?: string }> }).events[0]?.pushedAt).toBeUndefined();
  });

  it('treats the file list of a push of 20 or more commits as unknown, since GitHub lists at most 20', () => {
    const fixture = load('push-branch.json');
    const body = structuredClone(fixture.body) as { commits: unknown[] };
    body.commits = Array.from({ length: 20 }, () => ({ added: [], removed: [], modified: ['docs/a.md'] }));
    expect((parseFixture(fixture, body) as unknown as { events: Array<{ paths?: string[] }> }).events[0]?.paths).toBeUndefined();
  });
});
