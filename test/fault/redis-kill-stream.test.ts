import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRules } from '../../src/config/rules.js';
import { TERMINAL_STATUSES } from '../../src/history/model.js';
import { startRelay, type Relay } from '../../src/relay.js';
import type { SourceConfig } from '../../src/sources/types.js';
import { startFakeQovery, type FakeQovery } from '../fakes/fake-qovery.js';
import { sign } from '../fakes/signers.js';
import { freePort, redisAnswers } from '../support/redis-provision.js';
import { QOVERY_TOKEN, testConfig } from '../support/relay.js';
import { routePerJobRules } from '../support/rules.js';

/**
 * Redis is SIGKILLed and restarted (with its append-only file, fsync always) in the middle of a
 * stream of webhooks, under a relay running intake and worker in one process. A sender retries
 * every 503, as providers do. Nothing answered 2xx is lost, every deployment ends, and none gets
 * a second deploy call.
 */
const PUSHES = 60;
const SECRET = 'ci-secret-for-fault-tests';
const jobIdOf = (n: number) => `00000000-0000-4000-8000-${String(n + 1).padStart(12, '0')}`;

let relay: Relay | undefined;
let fake: FakeQovery | undefined;
let redis: ChildProcess | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await relay?.close(5_000);
  await fake?.close();
  if (redis && redis.exitCode === null && redis.signalCode === null) {
    const exited = new Promise((resolve) => redis!.once('exit', resolve));
    redis.kill('SIGKILL');
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  relay = fake = redis = dataDir = undefined;
});

function startDurableRedis(port: number, dir: string): ChildProcess {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--dir',
    dir,
    '--maxmemory-policy',
    'noeviction',
  ];
  return spawn('redis-server', args, { stdio: 'ignore' });
}

async function untilAnswers(url: string): Promise<void> {
  await expect.poll(() => redisAnswers(url, 200), { timeout: 15_000, interval: 50 }).toBe(true);
}

describe('Redis killed and restarted in a stream of webhooks', () => {
  it('loses nothing that was answered 2xx and deploys each push once', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'relay-redis-kill-'));
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    redis = startDurableRedis(port, dataDir);
    await untilAnswers(url);

    fake = await startFakeQovery({ token: QOVERY_TOKEN });
    fake.scriptStatus('*', [{ state: 'DEPLOYING' }, { state: 'DEPLOYED' }]);
    const rules = parseRules(routePerJobRules(PUSHES, jobIdOf), { CI_WEBHOOK_SECRET: SECRET });
    const config = testConfig(`t${randomUUID().slice(0, 8)}`, fake.url, { REDIS_URL: url, RECONCILE_INTERVAL_MS: 1_000, WORKER_LOCK_MS: 2_000 });
    relay = await startRelay(config, rules, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
    const app = relay.app!;
    const source = rules.sources[0] as SourceConfig;

    const answers = { accepted: 0, unavailable: 0, other: 0 };
    const accepted = new Map<number, string>();
    const send = async (n: number) => {
      const raw = Buffer.from(
        JSON.stringify({ repository: `acme/svc-${n}`, branch: 'main', commit: createHash('sha1').update(`stream-${n}`).digest('hex'), id: `push-${n}` }),
      );
      for (let attempt = 0; attempt < 200; attempt++) {
        const response = await app.inject({
          method: 'POST',
          url: '/webhooks/ci',
          headers: { 'content-type': 'application/json', ...sign(source, raw).headers },
          payload: raw,
        });
        if (response.statusCode === 202 || response.statusCode === 200) {
          answers.accepted += 1;
          accepted.set(n, response.json().deployments[0].id);
          return;
        }
        if (response.statusCode === 503) answers.unavailable += 1;
        else answers.other += 1;
        await expect.poll(async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode, { timeout: 20_000, interval: 50 }).toBe(200);
      }
    };

    for (let n = 0; n < PUSHES; n++) {
      if (n === PUSHES / 2) {
        const killed = new Promise((resolve) => redis!.once('exit', resolve));
        redis.kill('SIGKILL');
        await killed;
        // Webhooks keep coming while Redis is away; each is answered 503 and retried.
        void send(n).catch(() => undefined);
        redis = startDurableRedis(port, dataDir);
        await untilAnswers(url);
        continue;
      }
      await send(n);
    }
    await expect.poll(() => accepted.size, { timeout: 30_000, interval: 50 }).toBe(PUSHES);

    const ids = [...accepted.values()];
    await expect
      .poll(async () => (await relay!.history.getDeployments(ids)).filter((d) => !d || !TERMINAL_STATUSES.has(d.status)).length, {
        timeout: 60_000,
        interval: 200,
      })
      .toBe(0);
    const deployments = await relay.history.getDeployments(ids);
    const lost = deployments.filter((d) => d === undefined).length;
    const callsPerJob = new Map<string, number>();
    for (const call of fake.deployCalls()) callsPerJob.set(call.path, (callsPerJob.get(call.path) ?? 0) + 1);
    const maxCalls = Math.max(...callsPerJob.values());
    const terminal = deployments.filter((d) => d && TERMINAL_STATUSES.has(d.status)).length;
    console.log(
      JSON.stringify({
        fault: 'redis-kill-stream',
        sent: PUSHES,
        ...answers,
        terminal,
        lost,
        deployCalls: fake.deployCalls().length,
        maxCallsPerDeployment: maxCalls,
      }),
    );
    expect(lost).toBe(0);
    expect(terminal).toBe(PUSHES);
    expect(maxCalls).toBeLessThanOrEqual(1);
    expect(deployments.every((d) => d?.status === 'succeeded')).toBe(true);
  }, 120_000);
});
