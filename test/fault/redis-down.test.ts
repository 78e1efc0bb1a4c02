import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRules } from '../../src/config/rules.js';
import { startRelay, type Relay } from '../../src/relay.js';
import type { SourceConfig } from '../../src/sources/types.js';
import { sign } from '../fakes/signers.js';
import { redisAnswers, startRedisServer } from '../support/redis-provision.js';
import { testConfig } from '../support/relay.js';
import { commitRules } from '../support/rules.js';

/**
 * The relay's own Redis goes away under a running API process and comes back on the same port:
 * webhooks are refused with a 503 the sender can retry, and accepted again without a restart.
 */
const JOB = '00000000-0000-4000-8000-000000000301';
const RULES = commitRules({ source: 'ci', routes: [{ jobId: JOB }] });

let relay: Relay | undefined;
const redisProcesses: ChildProcess[] = [];

afterEach(async () => {
  await relay?.close(5_000);
  relay = undefined;
  // The private Redis and everything in it go away with the test, so no keys are left behind.
  await Promise.all(
    redisProcesses.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }),
  );
});

/** The same arguments startRedisServer uses, so the restarted server is the same kind of Redis. */
function restartRedisServer(port: number): ChildProcess {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
  });
  redisProcesses.push(child);
  return child;
}

/** An API-only relay on `redisUrl`, and a signed push to it through inject. */
async function startApiRelay(redisUrl: string) {
  const rules = parseRules(RULES, {});
  const config = testConfig(`t${randomUUID().slice(0, 8)}`, 'http://127.0.0.1:9', { REDIS_URL: redisUrl, RELAY_ROLE: 'api' });
  const started = await startRelay(config, rules, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  relay = started;
  const app = started.app;
  if (!app) throw new Error('an api relay has an app');
  const source = rules.sources[0] as SourceConfig;
  const post = async (commit: string) => {
    const raw = Buffer.from(JSON.stringify({ repository: 'acme/api', branch: 'main', commit }));
    const response = await app.inject({
      method: 'POST',
      url: '/webhooks/ci',
      headers: { 'content-type': 'application/json', ...sign(source, raw).headers },
      payload: raw,
    });
    return { statusCode: response.statusCode, json: response.json() };
  };
  return { relay: started, app, post, jobKey: (deploymentId: string) => `${config.RELAY_KEY_PREFIX}:deploy:${deploymentId}` };
}

describe('Redis goes down under a running API process', () => {
  it('answers 503 RELAY_UNAVAILABLE while Redis is down and accepts again once it is back, without a restart', async () => {
    const redis = await startRedisServer();
    redisProcesses.push(redis.process);
    const { relay: api, app, post, jobKey } = await startApiRelay(redis.url);
    const ready = async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode;

    const before = await post('a'.repeat(40));
    expect(before.statusCode, JSON.stringify(before.json)).toBe(202);
    expect(await ready()).toBe(200);

    await redis.stop();
    const down = await post('b'.repeat(40));
    expect(down.statusCode, JSON.stringify(down.json)).toBe(503);
    expect(down.json.code).toBe('RELAY_UNAVAILABLE');
    expect(await ready()).toBe(503);

    const restarted = restartRedisServer(redis.port);
    const startFailed = new Promise<never>((_, reject) => restarted.once('error', reject));
    await Promise.race([expect.poll(() => redisAnswers(redis.url, 200), { timeout: 10_000, interval: 50 }).toBe(true), startFailed]);
    // ioredis reconnects with backoff; the relay is ready again once its producer connection is back.
    await expect.poll(ready, { timeout: 30_000, interval: 100 }).toBe(200);

    const after = await post('c'.repeat(40));
    expect(after.statusCode, JSON.stringify(after.json)).toBe(202);
    expect(after.json.deployments).toEqual([expect.objectContaining({ jobId: JOB, gitCommitId: 'c'.repeat(40) })]);
    expect(await api.history.getDelivery(after.json.deliveryId)).toMatchObject({ outcome: 'accepted', deploymentIds: [after.json.deployments[0].id] });
    // The restarted Redis had no scripts cached; the history went out whole and ahead of the job.
    const id = after.json.deployments[0].id as string;
    expect(await api.history.getDeploymentState(id)).toMatchObject({ status: 'queued' });
    const probe = new Redis(redis.url);
    expect(await probe.exists(jobKey(id))).toBe(1);
    probe.disconnect();
  }, 60_000);

  it('after SCRIPT FLUSH a webhook is still stored with its job and answered 202', async () => {
    const redis = await startRedisServer();
    redisProcesses.push(redis.process);
    const { relay: api, post, jobKey } = await startApiRelay(redis.url);
    const probe = new Redis(redis.url);
    try {
      expect((await post('d'.repeat(40))).statusCode).toBe(202);
      await probe.script('FLUSH');
      const after = await post('e'.repeat(40));
      expect(after.statusCode, JSON.stringify(after.json)).toBe(202);
      const id = after.json.deployments[0].id as string;
      expect(await api.history.getDeploymentState(id)).toMatchObject({ status: 'queued', gitCommitId: 'e'.repeat(40) });
      expect(await probe.exists(jobKey(id))).toBe(1);
    } finally {
      probe.disconnect();
    }
  }, 30_000);

  it('the history API answers 503 at once while Redis is down, not a 500 after its retries', async () => {
    const redis = await startRedisServer();
    redisProcesses.push(redis.process);
    const { app } = await startApiRelay(redis.url);
    const headers = { authorization: 'Bearer test-api-token-0123456789' };
    await expect.poll(async () => (await app.inject({ method: 'GET', url: '/deployments', headers })).statusCode, { timeout: 5_000 }).toBe(200);

    await redis.stop();
    await expect.poll(async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode, { timeout: 5_000 }).toBe(503);
    for (const url of ['/deployments', '/deliveries', '/deliveries/abc', '/deployments/dep_x']) {
      const started = Date.now();
      const response = await app.inject({ method: 'GET', url, headers });
      expect(response.statusCode, url).toBe(503);
      expect(response.json()).toMatchObject({ code: 'RELAY_UNAVAILABLE' });
      // Answered from the connection's state, without waiting for a reconnect.
      expect(Date.now() - started, url).toBeLessThan(3_000);
    }
  }, 30_000);
});
