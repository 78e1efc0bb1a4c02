import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startRedisServer } from '../support/redis-provision.js';
import { spawnRelay, workerEnv, type RelayProcess } from '../support/relay-process.js';
import { API_TOKEN, startTestRelay, type TestRelay } from '../support/relay.js';
import { githubPush } from '../support/payloads.js';
import { sign } from '../fakes/signers.js';
import { commitRules } from '../support/rules.js';

const JOB = '00000000-0000-4000-8000-000000000501';
const RULES = commitRules({ source: 'github', routes: [{ jobId: JOB }] });

let relay: TestRelay | undefined;
let child: RelayProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  await child?.kill('SIGKILL');
  await relay?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('signals to a relay process', () => {
  it('on SIGTERM with Redis gone, stops within its deadline, logs "stopped" and exits 0', async () => {
    const redis = await startRedisServer();
    try {
      dir = await mkdtemp(join(tmpdir(), 'relay-shutdown-down-'));
      const rulesPath = join(dir, 'relay.config.yaml');
      await writeFile(rulesPath, RULES);
      const port = await freePort();
      child = spawnRelay({
        RELAY_ROLE: 'all',
        REDIS_URL: redis.url,
        RELAY_CONFIG: rulesPath,
        QOVERY_API_URL: 'http://127.0.0.1:9',
        QOVERY_API_TOKEN: 'qov_test_token',
        PORT: String(port),
        HOST: '127.0.0.1',
        METRICS_PORT: '0',
        SHUTDOWN_TIMEOUT_MS: '2000',
        LOG_LEVEL: 'info',
      });
      const base = `http://127.0.0.1:${port}`;
      await expect.poll(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status, { timeout: 20_000 }).toBe(200);
      await redis.stop();
      await expect.poll(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status, { timeout: 10_000 }).toBe(503);

      const signalled = Date.now();
      child.child.kill('SIGTERM');
      const code = await child.exited;
      const tookMs = Date.now() - signalled;
      expect(code, child.output()).toBe(0);
      expect(child.output()).toContain('"msg":"stopped"');
      // The 2 s deadline plus the process's own start-to-exit slack, far from the 30 s it hung before.
      expect(tookMs, child.output()).toBeLessThan(6_000);
      // Every reconnect attempt of every connection fails alike: each cause is logged once, without a stack.
      const errorLines = child
        .output()
        .split('\n')
        .filter((line) => /"msg":"(worker error|queue connection error|Redis connection error)"/.test(line));
      expect(errorLines.length, child.output()).toBeGreaterThan(0);
      expect(errorLines.length, child.output()).toBeLessThanOrEqual(8);
      expect(
        errorLines.filter((line) => line.includes('"stack"')),
        child.output(),
      ).toEqual([]);
    } finally {
      await redis.stop();
    }
  }, 60_000);

  it('on SIGTERM stops taking webhooks, lets the deploy call in flight finish and record, then exits 0', async () => {
    // The in-process relay only provides the fake Qovery, a key prefix and the history reader.
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    relay.fake.setDeployDelay(1_500);
    dir = await mkdtemp(join(tmpdir(), 'relay-shutdown-'));
    const rulesPath = join(dir, 'relay.config.yaml');
    await writeFile(rulesPath, RULES);
    const port = await freePort();
    child = spawnRelay(
      workerEnv(relay, rulesPath, {
        RELAY_ROLE: 'all',
        PORT: String(port),
        HOST: '127.0.0.1',
        RELAY_API_TOKEN: API_TOKEN,
        SHUTDOWN_TIMEOUT_MS: '10000',
        LOG_LEVEL: 'info',
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    await expect.poll(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status, { timeout: 20_000 }).toBe(200);

    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: '5'.repeat(40) });
    const raw = Buffer.from(JSON.stringify(push.body));
    const signed = sign(relay.rules.sources[0]!, raw);
    const response = await fetch(`${base}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...push.headers, ...signed.headers },
      body: raw,
    });
    expect(response.status).toBe(202);
    const { deployments } = (await response.json()) as { deployments: Array<{ id: string }> };

    await expect.poll(() => relay!.fake.deployCalls(JOB).length, { timeout: 20_000 }).toBe(1);
    child.child.kill('SIGTERM');
    const code = await child.exited;
    expect(code, child.output()).toBe(0);
    expect(child.output()).toContain('stopped');

    const deployment = await relay.relay.history.getDeployment(deployments[0]!.id);
    expect(deployment?.transitions.map((t) => t.status)).toContain('accepted');
    expect(await fetch(`${base}/healthz`).catch(() => 'refused')).toBe('refused');
  }, 60_000);

  it('on SIGHUP reloads the rules file, and keeps the rules in force when the new file is invalid', async () => {
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    dir = await mkdtemp(join(tmpdir(), 'relay-sighup-'));
    const rulesPath = join(dir, 'relay.config.yaml');
    await writeFile(rulesPath, RULES);
    const port = await freePort();
    child = spawnRelay(
      workerEnv(relay, rulesPath, { RELAY_ROLE: 'api', PORT: String(port), HOST: '127.0.0.1', RELAY_API_TOKEN: API_TOKEN, LOG_LEVEL: 'info' }),
    );
    const base = `http://127.0.0.1:${port}`;
    await expect.poll(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status, { timeout: 20_000 }).toBe(200);
    const routesFor = async () => {
      const push = githubPush({ repository: 'acme/api', branch: 'release', commit: '6'.repeat(40) });
      const answer = await fetch(`${base}/rules/test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
        body: JSON.stringify({ source: 'github', headers: push.headers, body: push.body }),
      });
      return ((await answer.json()) as { deployments: unknown[] }).deployments.length;
    };
    expect(await routesFor()).toBe(0);

    await writeFile(rulesPath, RULES.replace('branch: main', 'branch: release'));
    child.child.kill('SIGHUP');
    await expect.poll(routesFor, { timeout: 10_000 }).toBe(1);
    // The file watcher may reload too; the SIGHUP path must have run on its own account.
    await expect.poll(() => /"trigger":"SIGHUP"[^\n]*"msg":"rules reloaded"/.test(child!.output()), { timeout: 10_000 }).toBe(true);

    await writeFile(rulesPath, 'sources: []');
    child.child.kill('SIGHUP');
    await expect.poll(() => /"trigger":"SIGHUP"[^\n]*"msg":"new rules refused/.test(child!.output()), { timeout: 10_000 }).toBe(true);
    expect(await routesFor()).toBe(1);
  }, 60_000);
});
