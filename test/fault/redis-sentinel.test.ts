import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerHubPush } from '../support/payloads.js';
import { startRedisServer } from '../support/redis-provision.js';
import { deploymentWhen, startTestRelay, type TestRelay } from '../support/relay.js';

/**
 * The relay through Redis Sentinel: a master, its replica and one sentinel, all private
 * redis-server processes. The relay is given only the Sentinel URL; when the master is killed and
 * the sentinel promotes the replica, the relay finds the new master and goes on deploying.
 */
const CONTAINER = '00000000-0000-4000-8000-0000000005e1';
const RULES = `
sources:
  - name: hub
    type: dockerhub
    token: hub-token-for-tests-0123
routes:
  - { name: api, source: hub, match: { image: acme/api }, target: { containerId: ${CONTAINER} }, deploy: tag }
`;

const stops: Array<() => Promise<void>> = [];
let relay: TestRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function sentinelSetup() {
  // A replica's first sync waits 5 s by default for more replicas to share it; here there is one.
  const master = await startRedisServer(['--repl-diskless-sync-delay', '0']);
  stops.push(master.stop);
  // Loaded from the socket: a replica otherwise writes the master's data to dump.rdb where it runs.
  const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port), '--repl-diskless-load', 'on-empty-db']);
  stops.push(replica.stop);
  const dir = await mkdtemp(join(tmpdir(), 'relay-sentinel-'));
  stops.push(() => rm(dir, { recursive: true, force: true }));
  const conf = join(dir, 'sentinel.conf');
  // A sentinel rewrites its own config file, so it gets one of its own in a temporary directory.
  await writeFile(
    conf,
    [
      `sentinel monitor relay-master 127.0.0.1 ${master.port} 1`,
      'sentinel down-after-milliseconds relay-master 1000',
      'sentinel failover-timeout relay-master 5000',
      `dir ${dir}`,
      '',
    ].join('\n'),
  );
  const sentinel = await startRedisServer([conf, '--sentinel']);
  stops.push(sentinel.stop);
  const asSentinel = new Redis(sentinel.url);
  stops.push(async () => void asSentinel.disconnect());
  const masterPort = async () => Number(((await asSentinel.call('SENTINEL', 'get-master-addr-by-name', 'relay-master')) as string[])[1]);
  return { master, replica, sentinelUrl: `redis+sentinel://127.0.0.1:${sentinel.port}/relay-master`, masterPort };
}

describe('Redis Sentinel', () => {
  it('deploys through a Sentinel URL, and again after the master dies and its replica is promoted', async () => {
    const { master, replica, sentinelUrl, masterPort } = await sentinelSetup();
    await expect.poll(masterPort, { timeout: 10_000 }).toBe(master.port);
    relay = await startTestRelay(RULES, { REDIS_URL: sentinelUrl });
    const first = await relay.post('hub', dockerHubPush({ repository: 'acme/api', tag: '1.0.0' }));
    expect(first.statusCode).toBe(202);
    await deploymentWhen(relay, first.json.deployments[0].id);

    // Replication is asynchronous: the test lets the replica catch up before it kills the master.
    const onMaster = new Redis(master.url);
    expect(await onMaster.call('WAIT', '1', '5000')).toBe(1);
    onMaster.disconnect();
    master.process.kill('SIGKILL');
    await expect.poll(masterPort, { timeout: 20_000, interval: 200 }).toBe(replica.port);

    // The first webhooks after the failover may meet the relay still reconnecting: 503, and the
    // sender retries (a retry of one the relay did store is answered 200 as a duplicate).
    const push = dockerHubPush({ repository: 'acme/api', tag: '1.0.1' });
    let second: Awaited<ReturnType<TestRelay['post']>> | undefined;
    await expect
      .poll(async () => (second = await relay?.post('hub', push))?.statusCode, { timeout: 20_000, interval: 250 })
      .toSatisfy((status) => status === 202 || status === 200);
    const after = await deploymentWhen(relay, second?.json.deployments[0].id);
    expect(after.imageTag).toBe('1.0.1');
    // What was stored before the failover is still there, on the new master.
    const before = await relay.get(`/deployments/${first.json.deployments[0].id}`);
    expect(before.json.status, JSON.stringify(before)).toBe('succeeded');
  }, 90_000);
});
