import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startFakeQovery, type FakeQovery } from '../fakes/fake-qovery.js';
import { sign } from '../fakes/signers.js';
import { githubPush } from '../support/payloads.js';
import { freePort } from '../support/redis-provision.js';
import { spawnRelay, type RelayProcess } from '../support/relay-process.js';
import { deleteKeys } from '../support/relay.js';

/** A newcomer's first run: the example files as copied, with only the addresses this test owns changed. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE_ENV = parseEnv(readFileSync(join(ROOT, '.env.example'), 'utf8')) as Record<string, string>;
const EXAMPLE_RULES = join(ROOT, 'relay.config.example.yaml');
const EXAMPLE_JOB = '00000000-0000-4000-8000-000000000001';
const COMMIT = '9fceb02d0ae598e95dc970b74767f19372d61af8';

let child: RelayProcess | undefined;
let fake: FakeQovery | undefined;
let dir: string | undefined;
const prefix = `t${randomUUID().slice(0, 8)}`;
afterEach(async () => {
  await child?.kill('SIGKILL');
  child = undefined;
  await fake?.close();
  fake = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
  const redis = new Redis(inject('redisUrl'));
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

async function startExampleRelay(overrides: Record<string, string> = {}) {
  fake = await startFakeQovery();
  const port = await freePort();
  child = spawnRelay({
    ...EXAMPLE_ENV,
    RELAY_CONFIG: EXAMPLE_RULES,
    PORT: String(port),
    HOST: '127.0.0.1',
    REDIS_URL: inject('redisUrl'),
    RELAY_KEY_PREFIX: prefix,
    QOVERY_API_URL: fake.url,
    QOVERY_POLL_INTERVAL_MS: '100',
    ...overrides,
  });
  const running = child;
  await expect.poll(() => running.output(), { timeout: 20_000 }).toMatch(/deploy-relay started|deploy-relay: /);
  return { base: `http://127.0.0.1:${port}`, child: running };
}

const logLines = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });

async function postGithubPush(base: string, secret: string, source = 'github') {
  const push = githubPush({ repository: 'acme/api', branch: 'main', commit: COMMIT });
  const raw = Buffer.from(JSON.stringify(push.body));
  const signed = sign({ name: source, type: 'github', secret }, raw);
  const response = await fetch(`${base}/webhooks/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...push.headers, ...signed.headers },
    body: raw,
  });
  return { status: response.status, json: (await response.json()) as any };
}

describe('a first run from the example files', () => {
  it('runs dry without a Qovery token, says so first, and records a dry-run deployment that ends succeeded with no request reaching Qovery', async () => {
    const { base, child: relay } = await startExampleRelay();
    const lines = logLines(relay.output());
    expect(lines[0]?.msg).toMatch(/^dry-run mode \(no QOVERY_API_TOKEN is set\): nothing is sent to Qovery/);
    expect(lines.find((l) => l.msg === 'deploy-relay started')).toMatchObject({ deployMode: 'dry-run' });

    const accepted = await postGithubPush(base, EXAMPLE_ENV.GITHUB_WEBHOOK_SECRET!);
    expect(accepted.status).toBe(202);
    const id = accepted.json.deployments[0].id as string;
    const get = async () => {
      const response = await fetch(`${base}/deployments/${id}`, { headers: { authorization: `Bearer ${EXAMPLE_ENV.RELAY_API_TOKEN}` } });
      return (await response.json()) as any;
    };
    await expect.poll(async () => (await get()).status, { timeout: 15_000 }).toBe('succeeded');
    const deployment = await get();
    expect(deployment.dryRun).toBe(true);
    expect(deployment.transitions.map((t: any) => t.status)).toEqual(['queued', 'deploying', 'accepted', 'succeeded']);
    expect(deployment.transitions[2].detail).toBe(`dry-run: would POST /job/${EXAMPLE_JOB}/deploy {"git_commit_id":"${COMMIT}"}`);
    expect(deployment.transitions[3].detail).toMatch(/^dry-run: nothing was sent to Qovery/);
    expect(fake?.requests).toEqual([]);
  });

  it('leaves out a source whose secret is empty, with a warning, and keeps serving the others', async () => {
    const { base, child: relay } = await startExampleRelay({ GITHUB_WEBHOOK_SECRET: '' });
    const warnings = logLines(relay.output()).filter((l) => l.level === 40);
    expect(warnings.map((w) => w.msg)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^source github is left out: its secret is empty \(\$\{GITHUB_WEBHOOK_SECRET\} is set to an empty value\)/),
        'route api-main is left out: it uses only left-out sources (github)',
      ]),
    );
    const refused = await postGithubPush(base, 'anything');
    expect(refused).toMatchObject({ status: 404, json: { code: 'RELAY_UNKNOWN_SOURCE' } });
    const hub = await fetch(`${base}/webhooks/hub/${EXAMPLE_ENV.DOCKERHUB_WEBHOOK_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ push_data: { tag: 'v1.0.0', pushed_at: 1700000000 }, repository: { repo_name: 'acme/worker' } }),
    });
    expect(hub.status).toBe(202);
  });

  it("refuses to start in live mode while the examples' placeholders are in place, naming each", async () => {
    child = spawnRelay({ ...EXAMPLE_ENV, RELAY_CONFIG: EXAMPLE_RULES, REDIS_URL: inject('redisUrl'), DEPLOY_MODE: 'live', QOVERY_API_TOKEN: 'qov-real-token' });
    expect(await child.exited).toBe(1);
    const output = child.output();
    expect(output).toMatch(/Invalid configuration/);
    expect(output).toMatch(/environment: RELAY_API_TOKEN holds the example's placeholder/);
    expect(output).toMatch(/sources\.0\.secret: holds the example's placeholder .* from \$\{GITHUB_WEBHOOK_SECRET\}; live mode needs a real secret/);
    expect(output).toMatch(/sources\.1\.token: holds the example's placeholder .* from \$\{DOCKERHUB_WEBHOOK_TOKEN\}/);
  });

  it('reports problems of the environment and of the rules file in the same run', async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-first-run-'));
    const rules = join(dir, 'rules.yaml');
    await writeFile(
      rules,
      'sources:\n  - { name: github, type: github, secret: s }\nroutes:\n  - { name: r, source: gitlab, target: { jobId: x }, deploy: commit }\n',
    );
    child = spawnRelay({ RELAY_CONFIG: rules, PORT: 'eighty', REDIS_URL: inject('redisUrl') });
    expect(await child.exited).toBe(1);
    const output = child.output();
    expect(output).toMatch(/environment: PORT: /);
    expect(output).toMatch(/routes\.0\.target\.jobId: /);
    expect(output).toMatch(/routes\.0\.source: no source is named "gitlab"/);
  });
});
