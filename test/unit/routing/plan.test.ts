import { describe, expect, it } from 'vitest';
import { parseRules } from '../../../src/config/rules.js';
import { compileRoutes, type RouteCompiler } from '../../../src/routing/plan.js';
import { compileImagePattern } from '../../../src/routing/patterns.js';
import type { NormalizedEvent } from '../../../src/sources/types.js';

const JOB_1 = '00000000-0000-4000-8000-000000000001';
const JOB_2 = '00000000-0000-4000-8000-000000000002';
const COMMIT = '9fceb02d0ae598e95dc970b74767f19372d61af8';

const SOURCES = [
  { name: 'gh', type: 'github', secret: 's' },
  { name: 'hub', type: 'dockerhub', token: 'hub-token-0123' },
  { name: 'quay', type: 'quay', token: 'quay-token-0123' },
];

/** Compiles routes the way the relay does: through the rules parser. */
function compile(...routes: Array<Record<string, unknown>>): RouteCompiler {
  const withDefaults = routes.map((r, i) => ({ name: `route-${i + 1}`, source: 'gh', target: { jobId: JOB_1 }, deploy: 'commit', ...r }));
  return compileRoutes(parseRules(JSON.stringify({ sources: SOURCES, routes: withDefaults }), {}));
}

function push(fields: Partial<NormalizedEvent> = {}): NormalizedEvent {
  return { event: 'push', repository: 'acme/api', branch: 'main', commit: COMMIT, ...fields };
}

function image(fields: Partial<NormalizedEvent> = {}): NormalizedEvent {
  return { event: 'push', image: 'docker.io/acme/worker', tag: 'v1.2.3', ...fields };
}

/** Whether `match` on a route lets `event` through. */
function matches(match: Record<string, unknown>, event: NormalizedEvent, deploy: unknown = 'commit'): boolean {
  return compile({ match, deploy })('gh', [event]).matched;
}

describe('compileRoutes: patterns', () => {
  it('matches a branch glob such as release/* within one path segment', () => {
    const match = { branch: 'release/*' };
    expect(matches(match, push({ branch: 'release/1.2' }))).toBe(true);
    expect(matches(match, push({ branch: 'release/1.2/hotfix' }))).toBe(false);
    expect(matches(match, push({ branch: 'main' }))).toBe(false);
  });

  it('matches a pattern without glob syntax as the exact text, ignoring case only for repositories', () => {
    expect(matches({ branch: 'main' }, push({ branch: 'main' }))).toBe(true);
    expect(matches({ branch: 'main' }, push({ branch: 'Main' }))).toBe(false);
    expect(matches({ branch: 'main' }, push({ branch: 'main2' }))).toBe(false);
    expect(matches({ branch: 'release/1.2' }, push({ branch: 'release/1.2' }))).toBe(true);
    expect(matches({ repository: 'Acme/API' }, push({ repository: 'acme/api' }))).toBe(true);
    expect(matches({ repository: 'acme/api' }, push({ repository: 'acme/api-v2' }))).toBe(false);
  });

  it('matches a tag glob such as v*', () => {
    const match = { tag: 'v*' };
    expect(matches(match, push({ branch: undefined, tag: 'v1.2.3' }))).toBe(true);
    expect(matches(match, push({ branch: undefined, tag: '1.2.3' }))).toBe(false);
  });

  it('matches a /regex/, with its flags', () => {
    expect(matches({ branch: '/^(main|master)$/' }, push({ branch: 'master' }))).toBe(true);
    expect(matches({ branch: '/^(main|master)$/' }, push({ branch: 'main-old' }))).toBe(false);
    expect(matches({ branch: '/^MAIN$/i' }, push({ branch: 'main' }))).toBe(true);
  });

  it('gives the same answer every time for a /regex/ written with the g flag', () => {
    const plan = compile({ match: { branch: '/^main$/g' } });
    expect([plan('gh', [push()]).matched, plan('gh', [push()]).matched, plan('gh', [push()]).matched]).toEqual([true, true, true]);
  });

  it('compares repositories case-insensitively, as providers report them lower-case', () => {
    expect(matches({ repository: 'Acme/API' }, push())).toBe(true);
    expect(matches({ repository: 'Acme/*' }, push())).toBe(true);
    expect(matches({ repository: 'acme/web' }, push())).toBe(false);
  });

  it('keeps the escapes of a repository /regex/ as written', () => {
    // Lower-casing the pattern would turn \S (non-space) into \s (space) and never match.
    expect(matches({ repository: '/^acme\\/\\S+$/' }, push())).toBe(true);
    expect(matches({ repository: '/^ACME\\/API$/' }, push())).toBe(true);
    expect(matches({ repository: '/^acme\\/\\D+$/' }, push({ repository: 'acme/api2' }))).toBe(false);
  });

  it('matches a semver range, tolerating a leading v', () => {
    const match = { tag: { semver: '>=1.2.0 <2' } };
    expect(matches(match, image({ tag: 'v1.2.0' }), 'tag')).toBe(true);
    expect(matches(match, image({ tag: '1.9.9' }), 'tag')).toBe(true);
    expect(matches(match, image({ tag: 'V1.5.0' }), 'tag')).toBe(true);
    expect(matches(match, image({ tag: 'v2.0.0' }), 'tag')).toBe(false);
    expect(matches(match, image({ tag: 'latest' }), 'tag')).toBe(false);
  });

  it('matches a pre-release only when the route sets includePrerelease', () => {
    expect(matches({ tag: { semver: '>=1.2.0 <2' } }, image({ tag: 'v1.3.0-rc.1' }), 'tag')).toBe(false);
    expect(matches({ tag: { semver: '>=1.2.0 <2', includePrerelease: true } }, image({ tag: 'v1.3.0-rc.1' }), 'tag')).toBe(true);
  });

  it('matches an event key by name', () => {
    expect(matches({ event: 'push' }, push())).toBe(true);
    expect(matches({ event: 'package' }, push())).toBe(false);
    expect(matches({ event: '/^(package|registry_package)$/' }, image({ event: 'registry_package' }), 'tag')).toBe(true);
  });

  it('matches everything from its source when the route has no match', () => {
    expect(compile({})('gh', [push()]).matched).toBe(true);
  });
});

describe('compileImagePattern', () => {
  it('matches a pattern without a host on Docker Hub and on any registry', () => {
    const matcher = compileImagePattern('acme/worker');
    expect(matcher('docker.io/acme/worker')).toBe(true);
    expect(matcher('ghcr.io/acme/worker')).toBe(true);
    expect(matcher('registry.example.com:5000/acme/worker')).toBe(true);
    expect(matcher('docker.io/acme/worker-beta')).toBe(false);
    expect(matcher('ghcr.io/other/worker')).toBe(false);
  });

  it('matches a pattern with a host only on that registry', () => {
    const matcher = compileImagePattern('ghcr.io/acme/worker');
    expect(matcher('ghcr.io/acme/worker')).toBe(true);
    expect(matcher('docker.io/acme/worker')).toBe(false);
  });

  it('matches an official image name against its Docker Hub form', () => {
    expect(compileImagePattern('nginx')('docker.io/library/nginx')).toBe(true);
    expect(compileImagePattern('docker.io/nginx')('docker.io/library/nginx')).toBe(true);
    expect(compileImagePattern('nginx')('docker.io/acme/nginx')).toBe(false);
  });

  it('accepts a pattern written in upper case or with a Docker Hub alias', () => {
    expect(compileImagePattern('Acme/Worker')('docker.io/acme/worker')).toBe(true);
    expect(compileImagePattern('index.docker.io/acme/worker')('docker.io/acme/worker')).toBe(true);
  });

  it('matches globs and regexes against the image name', () => {
    expect(compileImagePattern('acme/*')('ghcr.io/acme/worker')).toBe(true);
    expect(compileImagePattern('/^ghcr\\.io\\/acme\\//')('ghcr.io/acme/worker')).toBe(true);
    expect(compileImagePattern('/^ghcr\\.io\\/acme\\//')('docker.io/acme/worker')).toBe(false);
  });

  it('is what a route image key uses', () => {
    const plan = compile({ source: 'hub', match: { image: 'acme/worker' }, deploy: 'tag' });
    expect(plan('hub', [image({ image: 'ghcr.io/acme/worker' })]).matched).toBe(true);
    expect(plan('hub', [image({ image: 'docker.io/acme/api' })])).toEqual({
      matched: false,
      reason: 'no route matched; closest: route "route-1": image "docker.io/acme/api" does not match "acme/worker"',
    });
  });
});

describe('compileRoutes: paths', () => {
  const match = { paths: ['services/api/**', 'package.json'] };

  it('matches when one changed file matches one glob', () => {
    expect(matches(match, push({ paths: ['README.md', 'services/api/src/index.ts'] }))).toBe(true);
  });

  it('does not match when no changed file matches, naming the globs', () => {
    expect(compile({ match })('gh', [push({ paths: ['docs/guide.md'] })])).toEqual({
      matched: false,
      reason: 'no route matched; closest: route "route-1": no changed file matches paths services/api/**, package.json',
    });
  });

  it('matches a push whose changed files are unknown', () => {
    expect(matches(match, push({ paths: undefined }))).toBe(true);
  });
});

describe('compileRoutes: deploy requests', () => {
  it('deploys the commit of a matching push with the route target', () => {
    const plan = compile({ name: 'api-main', match: { repository: 'acme/api', branch: 'main' }, target: { jobId: JOB_2, forceEvent: 'START' } });
    expect(plan('gh', [push()])).toEqual({
      matched: true,
      requests: [{ route: 'api-main', target: { kind: 'job', id: JOB_2 }, forceEvent: 'START', gitCommitId: COMMIT, allowDowngrade: false, eventIndex: 0 }],
    });
  });

  it('deploys the tag of an image push, carrying allowDowngrade', () => {
    const plan = compile({ source: 'hub', match: { image: 'acme/worker' }, deploy: 'tag', allowDowngrade: true });
    expect(plan('hub', [image()])).toEqual({
      matched: true,
      requests: [{ route: 'route-1', target: { kind: 'job', id: JOB_1 }, imageTag: 'v1.2.3', allowDowngrade: true, eventIndex: 0 }],
    });
  });

  it('makes one request per matching route when several match one event', () => {
    const plan = compile({ name: 'api', target: { jobId: JOB_1 } }, { name: 'api-image', target: { jobId: JOB_2 }, deploy: { tag: 'sha-{commit:7}' } });
    const result = plan('gh', [push()]);
    expect(result).toEqual({
      matched: true,
      requests: [
        { route: 'api', target: { kind: 'job', id: JOB_1 }, gitCommitId: COMMIT, allowDowngrade: false, eventIndex: 0 },
        { route: 'api-image', target: { kind: 'job', id: JOB_2 }, imageTag: 'sha-9fceb02', allowDowngrade: false, eventIndex: 0 },
      ],
    });
  });

  it('makes one request per matching event of a delivery, with its index', () => {
    const plan = compile({ source: 'quay', match: { tag: 'v*' }, deploy: 'tag' });
    const result = plan('quay', [image({ tag: 'v1' }), image({ tag: 'latest' }), image({ tag: 'v2' })]);
    expect(result.matched && result.requests.map((r) => [r.imageTag, r.eventIndex])).toEqual([
      ['v1', 0],
      ['v2', 2],
    ]);
  });

  it('applies a route listing several sources to each of them', () => {
    const plan = compile({ source: ['hub', 'quay'], deploy: 'tag' });
    expect(plan('hub', [image()]).matched).toBe(true);
    expect(plan('quay', [image()]).matched).toBe(true);
    expect(plan('gh', [push()])).toEqual({ matched: false, reason: 'no route uses source "gh"' });
  });

  it('says no route uses a source that no route names', () => {
    expect(compile({ source: 'gh' })('hub', [image()])).toEqual({ matched: false, reason: 'no route uses source "hub"' });
  });

  it('does not match deploy: commit on an event without a commit, saying why', () => {
    expect(compile({ source: 'hub' })('hub', [image()])).toEqual({
      matched: false,
      reason: 'no route matched; closest: route "route-1": the event carries no commit to deploy',
    });
  });

  it('does not match deploy: tag on an event without a tag, saying why', () => {
    expect(compile({ deploy: 'tag' })('gh', [push()])).toEqual({
      matched: false,
      reason: 'no route matched; closest: route "route-1": the event carries no tag to deploy (deploy: tag)',
    });
  });

  it('renders a tag template into the image tag', () => {
    const plan = compile({ deploy: { tag: '{branch}-{commit:12}' } });
    const result = plan('gh', [push({ branch: 'feature/x' })]);
    expect(result.matched && result.requests[0]?.imageTag).toBe('feature-x-9fceb02d0ae5');
  });

  it('does not match a template needing a value the event lacks, naming it', () => {
    const plan = compile({ deploy: { tag: '{branch}-{commit:7}' } });
    expect(plan('gh', [push({ branch: undefined, tag: 'v1' })])).toEqual({
      matched: false,
      reason: 'no route matched; closest: route "route-1": the tag template needs {branch}, which the event does not carry',
    });
  });
});

describe('compileRoutes: why nothing matched', () => {
  it('names the closest mismatch, such as the branch', () => {
    const plan = compile({ name: 'api-main', match: { repository: 'acme/api', branch: 'main' } });
    expect(plan('gh', [push({ branch: 'dev' })])).toEqual({
      matched: false,
      reason: 'no route matched; closest: route "api-main": branch "dev" does not match "main"',
    });
  });

  it('prefers the route that got furthest over the first route', () => {
    const plan = compile(
      { name: 'web', match: { repository: 'acme/web', branch: 'main' } },
      { name: 'api-main', match: { repository: 'acme/api', branch: 'main' } },
      { name: 'api-release', match: { repository: 'acme/api', branch: 'release/*', paths: ['src/**'] } },
    );
    expect(plan('gh', [push({ branch: 'dev' })])).toMatchObject({ reason: 'no route matched; closest: route "api-main": branch "dev" does not match "main"' });
  });

  it('says when the event lacks the key a route matches on', () => {
    const plan = compile({ name: 'api-main', match: { branch: 'main' } });
    expect(plan('gh', [push({ branch: undefined, tag: 'v1.0.0' })])).toEqual({
      matched: false,
      reason: 'no route matched; closest: route "api-main": the event has no branch (route wants branch "main")',
    });
  });

  it('describes a semver mismatch with its range', () => {
    const plan = compile({ name: 'worker', source: 'hub', match: { tag: { semver: '>=2' } }, deploy: 'tag' });
    expect(plan('hub', [image({ tag: 'v1.2.3' })])).toEqual({
      matched: false,
      reason: 'no route matched; closest: route "worker": tag "v1.2.3" does not match "semver >=2"',
    });
  });

  it('says so when a delivery carries no events', () => {
    expect(compile({})('gh', [])).toEqual({ matched: false, reason: 'no route matched; closest: none' });
  });
});
