import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/config/load.js';
import { readRules } from '../../../src/config/rules.js';

const JOB_1 = '00000000-0000-4000-8000-000000000001';
const JOB_2 = '00000000-0000-4000-8000-000000000002';

const RULES = JSON.stringify({
  sources: [
    { name: 'github', type: 'github', secret: '${GITHUB_WEBHOOK_SECRET}' },
    { name: 'hub', type: 'dockerhub', token: '${DOCKERHUB_WEBHOOK_TOKEN}' },
  ],
  routes: [
    { name: 'api-main', source: 'github', match: { branch: 'main' }, target: { jobId: JOB_1 }, deploy: 'commit' },
    { name: 'both', source: ['github', 'hub'], target: { jobId: JOB_2 }, deploy: 'tag' },
  ],
});

describe('readRules with empty credentials', () => {
  it('leaves out a source whose secret variable is empty, and the routes that used only it, with a warning for each', () => {
    const reading = readRules(RULES, { GITHUB_WEBHOOK_SECRET: '', DOCKERHUB_WEBHOOK_TOKEN: 'hub-token-0123' }, { emptyCredentials: 'leave-out' });
    expect(reading.problems).toEqual([]);
    expect(reading.rules?.sources.map((s) => s.name)).toEqual(['hub']);
    expect(reading.rules?.routes.map((r) => [r.name, r.source])).toEqual([['both', ['hub']]]);
    expect(reading.warnings).toEqual([
      expect.stringMatching(/^source github is left out: its secret is empty \(\$\{GITHUB_WEBHOOK_SECRET\} is set to an empty value\)/),
      'route api-main is left out: it uses only left-out sources (github)',
      'route both keeps sources hub without github, which are left out',
    ]);
  });

  it('still refuses a variable that is not set at all', () => {
    const reading = readRules(RULES, { DOCKERHUB_WEBHOOK_TOKEN: 'hub-token-0123' }, { emptyCredentials: 'leave-out' });
    expect(reading.rules).toBeUndefined();
    expect(reading.problems).toEqual(['${GITHUB_WEBHOOK_SECRET} is referenced but the environment variable is not set']);
  });

  it('refuses to start with no source at all when every secret is empty', () => {
    const reading = readRules(RULES, { GITHUB_WEBHOOK_SECRET: '', DOCKERHUB_WEBHOOK_TOKEN: '' }, { emptyCredentials: 'leave-out' });
    expect(reading.problems).toEqual([expect.stringMatching(/^every source is left out because its credential is empty \(github, hub\)/)]);
  });

  it('reports an empty secret as a problem when asked to refuse it, written literally or through a variable', () => {
    const text = JSON.stringify({
      sources: [
        { name: 'gh', type: 'github', secret: '' },
        { name: 'acr', type: 'acr', header: { value: 'Bearer ${T}' } },
      ],
    });
    expect(readRules(text, { T: '' }, { emptyCredentials: 'refuse' }).problems).toEqual([
      'sources.0.secret: is empty (the value is empty)',
      'sources.1.header.value: is empty (${T} is set to an empty value)',
    ]);
  });
});

describe('readRules with placeholder secrets', () => {
  const env = { GITHUB_WEBHOOK_SECRET: 'change-me-github-webhook-secret', DOCKERHUB_WEBHOOK_TOKEN: 'real-token-0123' };

  it('refuses them in live mode, naming where and through which variable', () => {
    expect(readRules(RULES, env, { placeholders: 'refuse' }).problems).toEqual([
      `sources.0.secret: holds the example's placeholder (a value containing "change-me") from \${GITHUB_WEBHOOK_SECRET}; live mode needs a real secret`,
    ]);
  });

  it('only warns about them in a dry run', () => {
    const reading = readRules(RULES, env, { placeholders: 'warn' });
    expect(reading.rules?.sources).toHaveLength(2);
    expect(reading.warnings).toEqual([expect.stringMatching(/^source github: its secret holds the example's placeholder .* live mode refuses it$/)]);
  });
});

describe('readConfig', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the problems of the environment and of the rules file together', async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-config-'));
    const path = join(dir, 'rules.json');
    await writeFile(
      path,
      JSON.stringify({
        sources: [{ name: 'gh', type: 'github', secret: 's' }],
        routes: [{ name: 'r', source: 'nope', target: { jobId: 'x' }, deploy: 'commit' }],
      }),
    );
    const reading = await readConfig({ source: { PORT: 'eighty', RELAY_CONFIG: path }, emptyCredentials: 'leave-out' });
    expect(reading.env).toBeUndefined();
    expect(reading.problems).toEqual([
      expect.stringMatching(/^environment: PORT: /),
      expect.stringMatching(new RegExp(`^rules file ${path}: routes\\.0\\.target\\.jobId: `)),
      `rules file ${path}: routes.0.source: no source is named "nope"`,
    ]);
  });

  it('refuses the relay API token placeholder in live mode and warns about it in a dry run', async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-config-'));
    const path = join(dir, 'rules.json');
    await writeFile(path, JSON.stringify({ sources: [{ name: 'gh', type: 'github', secret: 's' }] }));
    const source = { RELAY_CONFIG: path, RELAY_API_TOKEN: 'change-me-relay-api-token' };
    const live = await readConfig({ source: { ...source, QOVERY_API_TOKEN: 'qov-real' }, emptyCredentials: 'leave-out' });
    expect(live.problems).toEqual([expect.stringMatching(/^environment: RELAY_API_TOKEN holds the example's placeholder/)]);
    const dry = await readConfig({ source, emptyCredentials: 'leave-out' });
    expect(dry.problems).toEqual([]);
    expect(dry.warnings).toEqual([expect.stringMatching(/^RELAY_API_TOKEN holds the example's placeholder/)]);
  });
});
