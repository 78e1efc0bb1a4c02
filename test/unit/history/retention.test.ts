import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHistory, type NewDeployment } from '../../../src/history/history.js';
import type { Delivery, DeliveryOutcome } from '../../../src/history/model.js';
import type { Retention } from '../../../src/history/retention.js';
import { relayKeys, type RelayKeys } from '../../../src/redis/keys.js';
import { deleteKeys } from '../../support/relay.js';

const DAY = 24 * 3600 * 1000;
const JOB = '00000000-0000-4000-8000-0000000000aa';

let redis: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});

afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await deleteKeys(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

/** A history of its own key prefix, on a clock the test moves. */
function history(retention: Partial<Retention> = {}) {
  const prefix = `test-retention-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  const keys = relayKeys(prefix);
  const clock = { ms: Date.now() };
  const h = createHistory({
    redis,
    keys,
    now: () => new Date(clock.ms),
    eventsMaxLen: 1_000,
    retention: { days: 30, maxDeliveries: 1_000_000, trimEvery: 1, ...retention },
  });
  return { h, keys, clock, prefix };
}

let n = 0;
/** A delivery received now on the test's clock, with one deployment when accepted. */
function delivery(atMs: number, outcome: DeliveryOutcome = 'accepted'): { delivery: Delivery; deployments: NewDeployment[] } {
  const id = `dlv-${++n}-${randomUUID().slice(0, 8)}`;
  const deployments: NewDeployment[] =
    outcome === 'accepted' ? [{ id: `dep_${id}`, route: 'api-main', target: { kind: 'job', id: JOB }, allowDowngrade: false }] : [];
  return {
    delivery: {
      id,
      source: 'github',
      sourceType: 'github',
      event: 'push',
      outcome,
      ...(outcome === 'ignored' && { reason: 'branch "dev" does not match "main"' }),
      receivedAt: new Date(atMs).toISOString(),
      read: [{ repository: 'acme/api', branch: 'main', commit: 'a'.repeat(40) }],
      deploymentIds: deployments.map((d) => d.id),
    },
    deployments,
  };
}

async function record(h: ReturnType<typeof history>['h'], atMs: number, outcome: DeliveryOutcome = 'accepted') {
  const d = delivery(atMs, outcome);
  if (outcome === 'duplicate') await h.recordDuplicate(d.delivery);
  // Signed like a GitHub push, so the key remembering its signature is written too.
  else await h.recordDelivery(d.delivery, d.deployments, { signature: `sha256-of-${d.delivery.id}` });
  return { ...d, member: `github/${d.delivery.id}` };
}

type Recorded = Awaited<ReturnType<typeof record>>;

async function keysOf(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found.sort();
}

/** Every index a delivery with one deployment is listed in. */
function indexesOf(keys: RelayKeys) {
  return {
    deliveries: [keys.deliveries, keys.deliveryIndex('source', 'github'), keys.deliveryIndex('outcome', 'accepted')],
    deployments: [
      keys.deployments,
      keys.deploymentIndex('status', 'queued'),
      keys.deploymentIndex('source', 'github'),
      keys.deploymentIndex('job', JOB),
      keys.deploymentIndex('route', 'api-main'),
      keys.jobPending(JOB),
    ],
  };
}

async function scores(keys: readonly string[], member: string): Promise<Array<string | null>> {
  return Promise.all(keys.map((key) => redis.zscore(key, member)));
}

describe('history retention', () => {
  it('writes every key of a delivery, its deployment, a duplicate and an ignored delivery with an expiry', async () => {
    const { h, prefix } = history();
    const accepted = await record(h, Date.now());
    await record(h, Date.now(), 'duplicate');
    await record(h, Date.now(), 'ignored');
    await h.transition(accepted.deployments[0]!.id, { status: 'deploying', attempt: 1, countAttempt: true });
    await h.transition(accepted.deployments[0]!.id, { status: 'accepted', attempt: 1 });

    // BullMQ's keys are bounded by removing finished jobs, not by expiry.
    const keys = (await keysOf(prefix)).filter((key) => !key.startsWith(`${prefix}:deploy:`));
    expect(keys.some((key) => key.includes(':dlv-sig:'))).toBe(true);
    const ttls = await Promise.all(keys.map(async (key) => [key, await redis.pttl(key)] as const));
    expect(keys.length).toBeGreaterThan(10);
    expect(ttls.filter(([, ttl]) => ttl < 0)).toEqual([]);
  });

  it('keeps an accepted delivery for the retention, an ignored one 7 days and a duplicate 1 day', async () => {
    const { h, keys } = history();
    const ttlOf = async (outcome: DeliveryOutcome) => redis.pttl(keys.delivery((await record(h, Date.now(), outcome)).member));
    const [accepted, ignored, duplicate] = [await ttlOf('accepted'), await ttlOf('ignored'), await ttlOf('duplicate')];
    expect(accepted).toBeGreaterThan(29.9 * DAY);
    expect(accepted).toBeLessThanOrEqual(30 * DAY);
    expect(ignored).toBeGreaterThan(6.9 * DAY);
    expect(ignored).toBeLessThanOrEqual(7 * DAY);
    expect(duplicate).toBeGreaterThan(0.9 * DAY);
    expect(duplicate).toBeLessThanOrEqual(DAY);
  });

  it('re-arms a deployment’s expiry at each transition, so one still moving does not expire', async () => {
    const { h, keys, clock } = history();
    clock.ms = Date.now() - 20 * DAY;
    const { deployments } = await record(h, clock.ms);
    const id = deployments[0]!.id;
    expect(await redis.pttl(keys.deployment(id))).toBeLessThan(10.1 * DAY);

    clock.ms = Date.now();
    expect((await h.transition(id, { status: 'deploying', attempt: 1 })).applied).toBe(true);

    for (const key of [keys.deployment(id), keys.transitions(id), keys.deploymentIndex('status', 'deploying')])
      expect(await redis.pttl(key), key).toBeGreaterThan(29.9 * DAY);
  });

  it('trims every index of what is past the retention, on the next write', async () => {
    const { h, keys, clock } = history();
    const start = Date.now() - 29 * DAY;
    clock.ms = start;
    const old = await record(h, start);
    await h.transition(old.deployments[0]!.id, { status: 'failed', detail: 'test' });
    const kept = await record(h, start + 2 * DAY);
    const indexes = indexesOf(keys);
    const failed = keys.deploymentIndex('status', 'failed');
    expect(await redis.zscore(failed, old.deployments[0]!.id)).not.toBeNull();

    clock.ms = start + 31 * DAY;
    await record(h, clock.ms);

    const oldDeployment = old.deployments[0]!.id;
    expect(await scores(indexes.deliveries, old.member)).toEqual([null, null, null]);
    // Pending sets hold what never left them: the failed one already did, so that set is not a trim.
    expect(await scores([...indexes.deployments.slice(0, -1), failed], oldDeployment)).toEqual([null, null, null, null, null, null]);
    expect((await scores(indexes.deliveries, kept.member)).every((s) => s !== null)).toBe(true);
    expect((await scores(indexes.deployments, kept.deployments[0]!.id)).every((s) => s !== null)).toBe(true);
  });

  it('trims a duplicate and an ignored delivery from every index past their shorter keep, and no accepted one', async () => {
    const { h, keys, clock } = history();
    const start = Date.now();
    clock.ms = start;
    const duplicate = await record(h, start, 'duplicate');
    const ignored = await record(h, start, 'ignored');
    const accepted = await record(h, start);

    clock.ms = start + 8 * DAY;
    await record(h, clock.ms, 'duplicate');

    const mixed = [keys.deliveries, keys.deliveryIndex('source', 'github')];
    expect(await scores([...mixed, keys.deliveryIndex('outcome', 'duplicate')], duplicate.member)).toEqual([null, null, null]);
    expect(await scores([...mixed, keys.deliveryIndex('outcome', 'ignored')], ignored.member)).toEqual([null, null, null]);
    expect((await scores([...mixed, keys.deliveryIndex('outcome', 'accepted')], accepted.member)).every((s) => s !== null)).toBe(true);
  });

  it('drops from a job’s pending set a deployment whose record expired before it left', async () => {
    const { h, keys, clock } = history();
    // Stored so that its 30 days end within a second; the next push keeps the set itself alive.
    clock.ms = Date.now() - 30 * DAY + 800;
    const lost = await record(h, clock.ms);
    clock.ms = Date.now();
    await record(h, clock.ms);
    const id = lost.deployments[0]!.id;
    expect(await redis.zscore(keys.jobPending(JOB), id)).not.toBeNull();
    await expect.poll(() => redis.exists(keys.deployment(id)), { timeout: 5_000, interval: 100 }).toBe(0);

    clock.ms = Date.now();
    await record(h, clock.ms);

    expect(await redis.zscore(keys.jobPending(JOB), id)).toBeNull();
    expect(await redis.zcard(keys.jobPending(JOB))).toBe(2);
  });

  it('holds HISTORY_MAX_DELIVERIES: the oldest deliveries go, with their index entries and id lookup', async () => {
    const { h, keys, clock } = history({ maxDeliveries: 5 });
    const start = Date.now();
    const stored: Recorded[] = [];
    for (let i = 0; i < 8; i++) {
      clock.ms = start + i * 1000;
      stored.push(await record(h, clock.ms, i % 2 === 0 ? 'accepted' : 'ignored'));
    }

    expect(await redis.zcard(keys.deliveries)).toBe(5);
    for (const gone of stored.slice(0, 3)) {
      expect(await redis.exists(keys.delivery(gone.member), keys.deliverySource(gone.delivery.id))).toBe(0);
      expect(await scores([keys.deliveryIndex('source', 'github'), keys.deliveryIndex('outcome', gone.delivery.outcome)], gone.member)).toEqual([null, null]);
      expect(await h.getDelivery(gone.delivery.id)).toBeUndefined();
    }
    for (const kept of stored.slice(3)) expect((await h.getDelivery(kept.delivery.id))?.id).toBe(kept.delivery.id);
    const page = await h.listDeliveries({ limit: 50 });
    expect(page.items.map((d) => d.id)).toEqual(
      stored
        .slice(3)
        .reverse()
        .map((s) => s.delivery.id),
    );
  });

  it('serves full pages when index members outlived their records', async () => {
    // Trimming only every 1,000,000th write leaves the members of expired records in the indexes.
    const { h, keys, clock } = history({ trimEvery: 1_000_000 });
    await record(h, Date.now());
    const now = Date.now();
    const live: Recorded[] = [];
    for (let i = 0; i < 5; i++) live.push(await record(h, now - 8 * DAY - i * 1000));
    // Newer than the live ones, and gone within a second: ignored deliveries keep 7 days.
    const dying: Recorded[] = [];
    for (let i = 0; i < 60; i++) dying.push(await record(h, now - 7 * DAY + 800 + i, 'ignored'));
    await expect.poll(() => redis.exists(...dying.map((d) => keys.delivery(d.member))), { timeout: 5_000, interval: 100 }).toBe(0);
    clock.ms = Date.now();

    const served: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.listDeliveries({ limit: 2, ...(cursor !== undefined && { cursor }) });
      sizes.push(page.items.length);
      served.push(...page.items.map((d) => d.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);

    expect(served.slice(1)).toEqual(live.map((d) => d.delivery.id));
    expect(sizes).toEqual([2, 2, 2]);
    const deployments = await h.listDeployments({ limit: 50 });
    expect(deployments.items).toHaveLength(6);
  });

  it('lists deployments past one whose record expired', async () => {
    const { h, keys } = history({ trimEvery: 1_000_000 });
    const dying = await record(h, Date.now() - 30 * DAY + 800);
    const live = [await record(h, Date.now()), await record(h, Date.now() + 1), await record(h, Date.now() + 2)];
    await expect.poll(() => redis.exists(keys.deployment(dying.deployments[0]!.id)), { timeout: 5_000, interval: 100 }).toBe(0);
    expect(await redis.zscore(keys.deployments, dying.deployments[0]!.id)).not.toBeNull();

    const page = await h.listDeployments({ limit: 50 });

    expect(page.items.map((d) => d.id)).toEqual(live.map((d) => d.deployments[0]!.id).reverse());
    expect(page.nextCursor).toBeNull();
    expect((await h.listDeliveries({ outcome: 'accepted', limit: 50 })).items).toHaveLength(3);
  });

  it('finds a delivery by id alone, also one stored before retention in the lookup hash', async () => {
    const { h, keys } = history();
    const stored = await record(h, Date.now());
    expect((await h.getDelivery(stored.delivery.id))?.id).toBe(stored.delivery.id);

    const legacy = delivery(Date.now()).delivery;
    await redis.set(keys.delivery(`github/${legacy.id}`), JSON.stringify(legacy));
    await redis.hset(keys.deliverySources, legacy.id, 'github');
    expect((await h.getDelivery(legacy.id))?.id).toBe(legacy.id);
  });
});
