import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHistory, type NewDeployment } from '../../src/history/history.js';
import type { Delivery } from '../../src/history/model.js';
import { DEPLOY_QUEUE, type DeployJobData } from '../../src/queue/jobs.js';
import { deployQueueKeys } from '../../src/queue/inline-add.js';
import { createDeployProducer } from '../../src/queue/producer.js';
import { relayKeys } from '../../src/redis/keys.js';
import { DEFAULT_RETENTION, deleteKeys } from '../support/relay.js';

/**
 * Pins the BullMQ behaviour src/queue/inline-add.ts relies on: a deploy job written by the
 * history's script is the job `queue.add` writes, key for key, on the installed BullMQ. An upgrade
 * that changes BullMQ's job format fails here before it fails in production.
 */

const JOB = '00000000-0000-4000-8000-0000000000ab';
let redis: Redis;
const prefixes: string[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const prefix of prefixes.splice(0)) await deleteKeys(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function side(name: string) {
  const prefix = `test-inline-${name}-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  const keys = relayKeys(prefix);
  const connection = redis.duplicate();
  const queue = new Queue<DeployJobData>(DEPLOY_QUEUE, { connection, prefix: keys.queuePrefix });
  closers.push(async () => {
    await queue.close();
    connection.disconnect();
  });
  const history = createHistory({ redis, keys, retention: DEFAULT_RETENTION, eventsMaxLen: 1_000 });
  return { prefix, keys, queue, history };
}

function push(id: string): { delivery: Delivery; deployments: NewDeployment[] } {
  const receivedAt = new Date().toISOString();
  return {
    delivery: { id: randomUUID(), source: 'ci', sourceType: 'generic', event: 'push', outcome: 'accepted', receivedAt, read: [], deploymentIds: [id] },
    deployments: [{ id, route: 'api', target: { kind: 'job', id: JOB }, gitCommitId: 'a'.repeat(40), allowDowngrade: false }],
  };
}

/** Everything BullMQ keeps for a queue's jobs, with what differs by nature (times, stream ids) left out. */
async function queueState(queue: Queue, id: string) {
  const { timestamp, opts, ...job } = await redis.hgetall(queue.toKey(id));
  const events = await redis.xrange(queue.toKey('events'), '-', '+');
  return {
    job: { ...job, opts: opts === undefined ? undefined : JSON.parse(opts) },
    hasTimestamp: Number(timestamp) > 0,
    wait: await redis.lrange(queue.toKey('wait'), 0, -1),
    marker: await redis.zrange(queue.toKey('marker'), '0', '-1', 'WITHSCORES'),
    maxLenEvents: await redis.hget(queue.toKey('meta'), 'opts.maxLenEvents'),
    counter: await redis.get(queue.toKey('id')),
    events: events.map(([, fields]) => fields),
  };
}

describe('deploy jobs written by the history script', () => {
  it('names the queue keys as BullMQ does', () => {
    const { keys, queue } = side('keys');
    const { head, scriptKeys } = deployQueueKeys(keys);
    expect(head).toBe(queue.toKey(''));
    expect(scriptKeys).toEqual(['wait', 'meta', 'id', 'active', 'events', 'marker'].map((type) => queue.toKey(type)));
  });

  it('are the jobs queue.add writes, for a running and for a paused queue', async () => {
    for (const paused of [false, true]) {
      const byAdd = side('add');
      const inline = side('script');
      if (paused) await Promise.all([byAdd.queue.pause(), inline.queue.pause()]);
      const id = `dep_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
      await createDeployProducer({ queue: byAdd.queue }).enqueue([id]);
      const { delivery, deployments } = push(id);
      expect(await inline.history.recordDelivery(delivery, deployments)).toEqual({ created: true });

      const expected = await queueState(byAdd.queue, id);
      expect(expected.wait).toEqual([id]);
      expect(expected.marker).toEqual(paused ? [] : ['0', '0']);
      expect(await queueState(inline.queue, id)).toEqual(expected);
    }
  });

  it('answer a second add of the same id as BullMQ does: no second job, a duplicated event', async () => {
    const inline = side('dup');
    const id = 'dep_duplicate000000000000000';
    const { delivery, deployments } = push(id);
    await createDeployProducer({ queue: inline.queue }).enqueue([id]);
    await inline.history.recordDelivery(delivery, deployments);
    expect(await redis.lrange(inline.queue.toKey('wait'), 0, -1)).toEqual([id]);
    const events = await redis.xrange(inline.queue.toKey('events'), '-', '+');
    expect(events.map(([, fields]) => fields[1])).toEqual(['added', 'waiting', 'duplicated']);
  });

  it('are run by a BullMQ worker with the deploy job options', async () => {
    const inline = side('worker');
    const id = 'dep_worker0000000000000000000';
    const { delivery, deployments } = push(id);
    await inline.history.recordDelivery(delivery, deployments);
    const connection = redis.duplicate({ maxRetriesPerRequest: null });
    const seen = await new Promise<Job<DeployJobData>>((resolve, reject) => {
      const worker = new Worker<DeployJobData>(DEPLOY_QUEUE, async (job) => resolve(job), { connection, prefix: inline.keys.queuePrefix });
      worker.on('error', reject);
      closers.push(async () => {
        await worker.close();
        connection.disconnect();
      });
    });
    expect(seen.id).toBe(id);
    expect(seen.data).toEqual({ deploymentId: id });
    expect(seen.opts).toMatchObject({ attempts: 5, removeOnComplete: true, jobId: id });
  });

  it('go with their delivery when it is forgotten, while no worker has taken them', async () => {
    const inline = side('forget');
    const id = 'dep_forget0000000000000000000';
    const { delivery, deployments } = push(id);
    await inline.history.recordDelivery(delivery, deployments);
    expect(await inline.history.forgetDelivery(delivery, deployments)).toBe(true);
    expect(await redis.exists(inline.queue.toKey(id))).toBe(0);
    expect(await redis.lrange(inline.queue.toKey('wait'), 0, -1)).toEqual([]);
    expect(await inline.history.getDeployment(id)).toBeUndefined();
  });
});
