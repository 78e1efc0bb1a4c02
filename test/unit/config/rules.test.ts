import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../../src/config/errors.js';
import { parseRules } from '../../../src/config/rules.js';

const JOB_1 = '00000000-0000-4000-8000-000000000001';
const JOB_2 = '00000000-0000-4000-8000-000000000002';
const ENV = { GITHUB_WEBHOOK_SECRET: 'gh-secret', DOCKERHUB_WEBHOOK_TOKEN: 'hub-token-0123456789' };

/** The rules example shown in the README, so the documentation cannot drift from the parser. */
function readmeExample(): string {
  const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('### Rules file'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README has no yaml block under "### Rules file"');
  return block;
}

const GITHUB = { name: 'gh', type: 'github', secret: 's' };

function route(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'r', source: 'gh', target: { jobId: JOB_1 }, deploy: 'commit', ...fields };
}

/** Rules as JSON text (YAML is a superset, so parseRules reads it). */
function rulesText(doc: { sources?: unknown[]; routes?: unknown[]; [key: string]: unknown }): string {
  return JSON.stringify({ sources: [GITHUB], ...doc });
}

function problemsOf(text: string, env: Record<string, string> = ENV): readonly string[] {
  try {
    parseRules(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('parseRules accepted rules it should refuse');
}

describe('parseRules', () => {
  it('reads the README example', () => {
    const rules = parseRules(readmeExample(), ENV);
    expect(rules.sources).toEqual([
      { name: 'github', type: 'github', secret: 'gh-secret' },
      { name: 'hub', type: 'dockerhub', token: 'hub-token-0123456789' },
    ]);
    expect(rules.routes).toEqual([
      {
        name: 'api-main',
        source: 'github',
        match: { repository: 'acme/api', branch: 'main' },
        target: { jobId: JOB_1 },
        deploy: 'commit',
        allowDowngrade: false,
        cancelSuperseded: false,
      },
      {
        name: 'worker-release',
        source: 'hub',
        match: { image: 'acme/worker', tag: 'v*' },
        target: { jobId: JOB_2 },
        deploy: 'tag',
        allowDowngrade: false,
        cancelSuperseded: false,
      },
    ]);
  });

  it('reads the README example written as JSON to the same rules', () => {
    const json = JSON.stringify(parseYaml(readmeExample()));
    expect(parseRules(json, ENV)).toEqual(parseRules(readmeExample(), ENV));
  });

  it('reads the example rules file shipped with the repository', () => {
    const text = readFileSync(fileURLToPath(new URL('../../../relay.config.example.yaml', import.meta.url)), 'utf8');
    expect(parseRules(text, ENV).routes[1]?.match.tag).toEqual({ semver: '>=1.0.0', includePrerelease: false });
  });

  it('fills defaults: no routes, an empty match, allowDowngrade off, the Authorization header name', () => {
    expect(parseRules(JSON.stringify({ sources: [GITHUB] }), {}).routes).toEqual([]);
    const rules = parseRules(rulesText({ sources: [GITHUB, { name: 'acr', type: 'acr', header: { value: 'Basic abc' } }], routes: [route()] }), {});
    expect(rules.routes[0]).toMatchObject({ match: {}, allowDowngrade: false });
    expect(rules.sources[1]).toMatchObject({ header: { name: 'Authorization', value: 'Basic abc' } });
  });

  it('replaces ${VAR} anywhere in a string with the environment value', () => {
    const text = rulesText({
      sources: [{ name: 'gh', type: 'github', secret: 'pre-${GITHUB_WEBHOOK_SECRET}-post' }],
      routes: [route({ target: { jobId: '${JOB}' } })],
    });
    const rules = parseRules(text, { ...ENV, JOB: JOB_2 });
    expect(rules.sources[0]?.secret).toBe('pre-gh-secret-post');
    expect(rules.routes[0]?.target.jobId).toBe(JOB_2);
  });

  it('keeps a value with YAML syntax in it as one string, never as document structure', () => {
    const secret = 'a: b\n- c\n{d: e}';
    const rules = parseRules('sources:\n  - { name: gh, type: github, secret: "${S}" }\n', { S: secret });
    expect(rules.sources[0]?.secret).toBe(secret);
  });

  it('names every unset variable, and an empty secret with the variable that left it empty', () => {
    const text = rulesText({
      sources: [
        { name: 'gh', type: 'github', secret: '${NOT_SET}' },
        { name: 'hub', type: 'dockerhub', token: '${EMPTY}' },
      ],
    });
    expect(problemsOf(text, { EMPTY: '' })).toEqual([
      '${NOT_SET} is referenced but the environment variable is not set',
      'sources.1.token: is empty (${EMPTY} is set to an empty value)',
    ]);
  });

  it('says the file cannot be read when it is not YAML', () => {
    expect(() => parseRules('sources: [', {})).toThrow(/^Cannot read rules file:/);
  });

  it('names the origin in the error summary', () => {
    expect(() => parseRules('{}', {}, 'rules file /etc/relay.yaml')).toThrow(/^Invalid rules file \/etc\/relay\.yaml:/);
  });

  it('refuses an unknown source type', () => {
    expect(problemsOf(rulesText({ sources: [{ name: 'x', type: 'sourceforge', secret: 's' }] }))).toEqual([
      'sources.0.type: unknown source type "sourceforge"',
    ]);
  });

  it('refuses a source missing a key its provider requires', () => {
    expect(problemsOf(rulesText({ sources: [{ name: 'gh', type: 'github' }] }))).toEqual(['sources.0.secret: required for type github']);
  });

  it('lists every missing required key', () => {
    expect(problemsOf(rulesText({ sources: [{ name: 'nx', type: 'nexus' }] }))).toEqual([
      'sources.0.secret: required for type nexus',
      'sources.0.registryHost: required for type nexus',
    ]);
  });

  it('refuses a key the provider does not use, so a misplaced secret is not silently ignored', () => {
    expect(problemsOf(rulesText({ sources: [{ name: 'gh', type: 'github', secret: 's', token: 'abcdefghij' }] }))).toEqual([
      'sources.0.token: not used by type github',
    ]);
  });

  it("accepts a provider's optional keys", () => {
    const rules = parseRules(
      rulesText({
        sources: [
          { name: 'gl', type: 'gitlab', token: 'abcdefghij', signingSecret: 'whsec' },
          { name: 'reg', type: 'distribution', header: { value: 'Bearer x' }, registryHost: 'registry.example.com' },
        ],
      }),
      {},
    );
    expect(rules.sources.map((s) => s.name)).toEqual(['gl', 'reg']);
  });

  it('refuses a source with none of the alternative keys its provider needs one of', () => {
    expect(problemsOf(rulesText({ sources: [{ name: 'gl', type: 'gitlab' }] }))).toEqual(['sources.0: type gitlab needs one of: token, signingSecret']);
  });

  it('refuses two exclusive alternatives set together', () => {
    const jfrog = { name: 'jf', type: 'jfrog', registryHost: 'acme.jfrog.io', token: 'abcdefghij', secret: 's' };
    expect(problemsOf(rulesText({ sources: [jfrog] }))).toEqual(['sources.0: type jfrog takes only one of: token, secret']);
  });

  it('refuses a token shorter than 8 characters', () => {
    expect(problemsOf(rulesText({ sources: [{ name: 'hub', type: 'dockerhub', token: 'short' }] }))).toEqual([
      'sources.0.token: must be at least 8 characters',
    ]);
  });

  it('refuses a source name that cannot be a URL path segment', () => {
    expect(problemsOf(rulesText({ sources: [{ ...GITHUB, name: 'My Source' }] }))).toEqual([expect.stringMatching(/^sources\.0\.name: lower-case letters/)]);
  });

  it('refuses duplicate source names', () => {
    expect(problemsOf(rulesText({ sources: [GITHUB, { ...GITHUB, secret: 'other' }] }))).toEqual(['sources.1.name: duplicate source name "gh"']);
  });

  it('refuses duplicate route names', () => {
    expect(problemsOf(rulesText({ routes: [route(), route({ deploy: 'tag' })] }))).toEqual(['routes.1.name: duplicate route name "r"']);
  });

  it('refuses a route naming a source that does not exist, alone or in a list', () => {
    expect(problemsOf(rulesText({ routes: [route({ source: 'gitub' })] }))).toEqual(['routes.0.source: no source is named "gitub"']);
    expect(problemsOf(rulesText({ routes: [route({ source: ['gh', 'hub'] })] }))).toEqual(['routes.0.source: no source is named "hub"']);
  });

  it('refuses an empty source list on a route', () => {
    expect(problemsOf(rulesText({ routes: [route({ source: [] })] }))).toEqual([expect.stringMatching(/^routes\.0\.source: /)]);
  });

  it('refuses a jobId that is not a UUID', () => {
    expect(problemsOf(rulesText({ routes: [route({ target: { jobId: 'my-job' } })] }))).toEqual([expect.stringMatching(/^routes\.0\.target\.jobId: /)]);
  });

  it('refuses a forceEvent Qovery does not know', () => {
    expect(problemsOf(rulesText({ routes: [route({ target: { jobId: JOB_1, forceEvent: 'RESTART' } })] }))).toEqual([
      expect.stringMatching(/^routes\.0\.target\.forceEvent: .*"START"\|"STOP"\|"DELETE"\|"CRON"/),
    ]);
  });

  it('accepts each forceEvent Qovery knows', () => {
    for (const forceEvent of ['START', 'STOP', 'DELETE', 'CRON']) {
      expect(parseRules(rulesText({ routes: [route({ target: { jobId: JOB_1, forceEvent } })] }), {}).routes[0]?.target.forceEvent).toBe(forceEvent);
    }
  });

  it('refuses an invalid semver range and reads a valid one with includePrerelease off by default', () => {
    expect(problemsOf(rulesText({ routes: [route({ match: { tag: { semver: 'one point two' } } })] }))).toEqual([
      'routes.0.match.tag.semver: not a valid semver range',
    ]);
    expect(parseRules(rulesText({ routes: [route({ match: { tag: { semver: '>=1.2.0 <2' } } })] }), {}).routes[0]?.match.tag).toEqual({
      semver: '>=1.2.0 <2',
      includePrerelease: false,
    });
  });

  it('refuses an unknown placeholder in a tag template', () => {
    expect(problemsOf(rulesText({ routes: [route({ deploy: { tag: 'sha-{sha:7}' } })] }))).toEqual([
      'routes.0.deploy.tag: unknown placeholder {sha}; use {commit}, {commit:N}, {branch}, {tag} or {repository}',
    ]);
  });

  it('refuses a deploy that is neither commit, tag nor a template', () => {
    expect(problemsOf(rulesText({ routes: [route({ deploy: 'latest' })] }))).toEqual([expect.stringMatching(/^routes\.0\.deploy: /)]);
  });

  it.each([
    ['at the top level', { extra: true }, 'Unrecognized key: "extra"'],
    ['on a source', { sources: [{ ...GITHUB, secrett: 'x' }] }, 'sources.0: Unrecognized key: "secrett"'],
    ['on a route', { routes: [route({ when: 'always' })] }, 'routes.0: Unrecognized key: "when"'],
    ['in match', { routes: [route({ match: { branches: 'main' } })] }, 'routes.0.match: Unrecognized key: "branches"'],
    ['in target', { routes: [route({ target: { jobId: JOB_1, projectId: JOB_2 } })] }, 'routes.0.target: Unrecognized key: "projectId"'],
    ['in a semver tag', { routes: [route({ match: { tag: { semver: '^1', prerelease: true } } })] }, expect.stringMatching(/^routes\.0\.match\.tag/)],
  ])('refuses an unknown key %s, so a typo is not silently ignored', (_where, doc, problem) => {
    expect(problemsOf(rulesText(doc))).toEqual([problem]);
  });

  it('lists problems from several sources and routes in one error', () => {
    const text = rulesText({
      sources: [
        { name: 'gh', type: 'github' },
        { name: 'x', type: 'nope' },
      ],
      routes: [route({ target: { jobId: 'nope' } }), route({ name: 'r2', source: 'missing' })],
    });
    expect(problemsOf(text)).toEqual([
      'sources.0.secret: required for type github',
      'sources.1.type: unknown source type "nope"',
      expect.stringMatching(/^routes\.0\.target\.jobId: /),
      'routes.1.source: no source is named "missing"',
    ]);
  });

  it('returns deeply frozen rules', () => {
    const rules = parseRules(rulesText({ routes: [route({ match: { branch: 'main', paths: ['src/**'] } })] }), {});
    expect(Object.isFrozen(rules)).toBe(true);
    expect(Object.isFrozen(rules.sources)).toBe(true);
    expect(Object.isFrozen(rules.sources[0])).toBe(true);
    expect(Object.isFrozen(rules.routes[0]?.match)).toBe(true);
    expect(Object.isFrozen(rules.routes[0]?.match.paths)).toBe(true);
    expect(Object.isFrozen(rules.routes[0]?.target)).toBe(true);
    expect(() => {
      (rules.routes[0]?.match as { branch?: string }).branch = 'dev';
    }).toThrow(TypeError);
  });
});

describe('route targets: every Qovery service kind', () => {
  it('reads every route example of the README Targets section', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const section = readme.slice(readme.indexOf('### Targets'), readme.indexOf('## HTTP API'));
    const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const sources =
      'sources:\n  - { name: github, type: github, secret: s }\n  - { name: hub, type: dockerhub, token: hub-token-0123456789 }\n  - { name: harbor, type: harbor, header: { value: h } }\n';
    for (const block of blocks) expect(parseRules(`${sources}routes:\n${block}`, ENV).routes).toHaveLength(1);
  });

  const APP = '00000000-0000-4000-8000-0000000000a1';
  const text = (fields: Record<string, unknown>) => rulesText({ routes: [route(fields)] });

  it('reads an application deployed by commit, a container and a helm chart by tag, a helm service by commit', () => {
    for (const [target, deploy] of [
      [{ applicationId: APP }, 'commit'],
      [{ containerId: APP }, 'tag'],
      [{ containerId: APP }, { tag: 'sha-{commit:7}' }],
      [{ helmId: APP }, 'tag'],
      [{ helmId: APP }, 'commit'],
    ] as const) {
      expect(parseRules(text({ target, deploy }), ENV).routes[0]?.target).toEqual(target);
    }
  });

  it('refuses a deploy: the kind cannot take, naming the route', () => {
    expect(problemsOf(text({ name: 'web', target: { applicationId: APP }, deploy: 'tag' }))).toEqual([
      'routes.0.deploy: route "web": an application is deployed by commit, not by tag',
    ]);
    expect(problemsOf(text({ name: 'img', target: { containerId: APP }, deploy: 'commit' }))).toEqual([
      'routes.0.deploy: route "img": a container is deployed by tag, not by commit',
    ]);
    expect(problemsOf(text({ name: 'tpl', target: { applicationId: APP }, deploy: { tag: 'v{tag}' } }))).toEqual([
      'routes.0.deploy: route "tpl": an application is deployed by commit, not by tag',
    ]);
  });

  it('refuses a target naming no service, or two', () => {
    expect(problemsOf(text({ target: {} }))).toEqual([
      'routes.0.target: name exactly one service: jobId, applicationId, containerId, helmId, environmentId (found none)',
    ]);
    expect(problemsOf(text({ target: { jobId: JOB_1, containerId: APP }, deploy: 'tag' }))).toEqual([
      'routes.0.target: name exactly one service: jobId, applicationId, containerId, helmId, environmentId (found jobId and containerId)',
    ]);
  });

  it('refuses a forceEvent on a kind whose deploy call takes none, and a service id that is not a UUID', () => {
    expect(problemsOf(text({ target: { applicationId: APP, forceEvent: 'START' } }))).toEqual([
      'routes.0.target.forceEvent: an application takes none, not forceEvent START',
    ]);
    expect(problemsOf(text({ target: { helmId: 'my-chart' }, deploy: 'tag' }))[0]).toMatch(/^routes\.0\.target\.helmId: /);
  });
});
