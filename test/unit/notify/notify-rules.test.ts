import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { parseRules } from '../../../src/config/rules.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const ROUTE = { name: 'api', source: 'gh', target: { jobId: JOB }, deploy: 'commit' };

const rules = (doc: Record<string, unknown>) => JSON.stringify({ sources: [{ name: 'gh', type: 'github', secret: 's' }], routes: [ROUTE], ...doc });

function problem(text: string): string {
  try {
    parseRules(text, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('the rules were accepted');
}

describe('notifications in the rules file', () => {
  it('defaults `on` to the outcomes a person acts on, not the no-op ones', () => {
    const parsed = parseRules(rules({ notifications: [{ name: 'slack', slack: { url: 'https://hooks.slack.com/services/T/B/X' } }] }), {});
    expect(parsed.notifications).toEqual([
      { name: 'slack', on: ['succeeded', 'failed', 'timed_out'], slack: { url: 'https://hooks.slack.com/services/T/B/X' } },
    ]);
  });

  it('names what is wrong: no receiver or two, a short secret, an unknown route, a duplicate name, a bad status', () => {
    expect(problem(rules({ notifications: [{ name: 'n' }] }))).toContain('name exactly one receiver: slack or webhook');
    expect(
      problem(rules({ notifications: [{ name: 'n', slack: { url: 'https://a.example' }, webhook: { url: 'https://b.example', secret: 'x'.repeat(16) } }] })),
    ).toContain('name exactly one receiver');
    expect(problem(rules({ notifications: [{ name: 'n', webhook: { url: 'https://b.example', secret: 'short' } }] }))).toMatch(
      /notifications\.0\.webhook\.secret.*at least 16/,
    );
    expect(problem(rules({ notifications: [{ name: 'n', routes: ['nope'], slack: { url: 'https://a.example' } }] }))).toContain('no route is named "nope"');
    const twice = { name: 'n', slack: { url: 'https://a.example' } };
    expect(problem(rules({ notifications: [twice, twice] }))).toContain('duplicate notification name "n"');
    expect(problem(rules({ notifications: [{ name: 'n', on: ['done'], slack: { url: 'https://a.example' } }] }))).toMatch(/notifications\.0\.on\.0/);
    expect(problem(rules({ notifications: [{ name: 'n', slack: { url: 'ftp://a.example' } }] }))).toContain('must be an http:// or https:// URL');
  });
});

describe('commitStatus on a source', () => {
  it('is taken on the git hosts with a public API without apiUrl', () => {
    for (const type of ['github', 'gitlab', 'bitbucket']) {
      const secretKey = type === 'gitlab' ? 'token' : 'secret';
      const parsed = parseRules(JSON.stringify({ sources: [{ name: 'git', type, [secretKey]: 'secret-0123456789', commitStatus: { token: 't' } }] }), {});
      expect(parsed.sources[0]!.commitStatus).toEqual({ token: 't' });
    }
  });

  it('needs apiUrl for Gitea (no public instance) and is refused on a registry', () => {
    expect(problem(JSON.stringify({ sources: [{ name: 'g', type: 'gitea', secret: 's', commitStatus: { token: 't' } }] }))).toMatch(
      /sources\.0\.commitStatus\.apiUrl.*required for type gitea/,
    );
    expect(
      parseRules(
        JSON.stringify({ sources: [{ name: 'g', type: 'gitea', secret: 's', commitStatus: { token: 't', apiUrl: 'https://git.example.com/api/v1' } }] }),
        {},
      ).sources[0],
    ).toBeTruthy();
    expect(problem(JSON.stringify({ sources: [{ name: 'hub', type: 'dockerhub', token: 'x'.repeat(20), commitStatus: { token: 't' } }] }))).toContain(
      'commit statuses are set on github, gitlab, gitea, bitbucket only, not dockerhub',
    );
  });

  it('reads its token from the environment like every other secret', () => {
    const text = JSON.stringify({ sources: [{ name: 'gh', type: 'github', secret: 's', commitStatus: { token: '${GITHUB_STATUS_TOKEN}' } }] });
    expect(parseRules(text, { GITHUB_STATUS_TOKEN: 'ghp_x' }).sources[0]!.commitStatus).toEqual({ token: 'ghp_x' });
  });
});

describe("the README's notifications example", () => {
  it('parses, with the defaults it names', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('#### Notifications and commit statuses')))?.[1];
    if (!block) throw new Error('README has no yaml block under "#### Notifications and commit statuses"');
    const env = {
      GITHUB_WEBHOOK_SECRET: 'gh-secret',
      GITHUB_STATUS_TOKEN: 'ghp_x',
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
      AUDIT_WEBHOOK_SECRET: 'audit-secret-0123456789',
    };
    const parsed = parseRules(`${block}routes:\n  - { name: api-main, source: github, target: { jobId: ${JOB} }, deploy: commit }\n`, env);
    expect(parsed.sources[0]!.commitStatus).toEqual({ token: 'ghp_x' });
    expect(parsed.notifications.map((n) => [n.name, n.on])).toEqual([
      ['team-slack', ['succeeded', 'failed', 'timed_out']],
      ['audit', ['accepted', 'succeeded', 'failed']],
    ]);
  });
});
