import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { relayKeys } from '../../src/redis/keys.js';
import { createFollowSet, type FollowSet } from '../../src/worker/follow-set.js';
import { deleteKeys } from '../support/relay.js';

/** The follow set's schedule against real Redis, with the clock passed in, so every step is the test's. */
let redis: Redis;
let prefix: string;
let set: FollowSet;

beforeEach(() => {
  redis = new Redis(inject('redisUrl'));
  prefix = `t${randomUUID().slice(0, 8)}`;
  set = createFollowSet({ redis, keys: relayKeys(prefix) });
});

afterEach(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

const environment = (environmentId: string) => ({ kind: 'environment', environmentId }) as const;

describe('the follow set', () => {
  it('groups deployments by environment: one due entry, whatever the number in flight there', async () => {
    await set.enlist('d1', 'env-a', 1_000);
    await set.enlist('d2', 'env-a', 2_000);
    await set.enlist('d3', undefined, 1_500);
    expect(await set.claim(5_000, 100, 10)).toEqual([
      { group: environment('env-a'), dueAt: 1_000 },
      { group: { kind: 'deployment', deploymentId: 'd3' }, dueAt: 1_500 },
    ]);
    expect((await set.environment('env-a')).members.sort()).toEqual(['d1', 'd2']);
  });

  it("leases what it hands out: a claimed group is not handed out again until its follower's lease ends", async () => {
    await set.enlist('d1', 'env-a', 1_000);
    expect(await set.claim(2_000, 30_000, 10)).toHaveLength(1);
    expect(await set.claim(2_000, 30_000, 10)).toEqual([]);
    // The follower died without settling: the group is due again once the lease is over.
    expect(await set.claim(32_000, 30_000, 10)).toEqual([{ group: environment('env-a'), dueAt: 32_000 }]);
  });

  it('a deployment that joins an environment while its check runs keeps the environment scheduled after the others end', async () => {
    await set.enlist('d1', 'env-a', 1_000);
    const [claimed] = await set.claim(1_000, 30_000, 10);
    expect(claimed?.group).toEqual(environment('env-a'));
    await set.join('d2', 'env-a', 1_100);
    // d1 ended at this check; d2 arrived during it.
    await set.settleEnvironment('env-a', ['d1'], 11_000, true);
    expect((await set.environment('env-a')).members).toEqual(['d2']);
    expect(await set.nextDueAt()).toBe(11_000);
  });

  it('keeps an environment just read scheduled for one interval, and drops it at the next check that finds none in flight', async () => {
    await set.enlist('d1', 'env-a', 1_000);
    await set.claim(1_000, 30_000, 10);
    await set.settleEnvironment('env-a', ['d1'], 11_000, true);
    // A deployment joining right after waits for that check instead of causing a second read now.
    await set.join('d2', 'env-a', 1_200);
    expect(await set.nextDueAt()).toBe(11_000);
    await set.claim(11_000, 30_000, 10);
    await set.settleEnvironment('env-a', ['d2'], 21_000, false);
    expect(await set.nextDueAt()).toBeUndefined();
  });

  it('hands back groups it could not check with their old due time, so they keep their place in line', async () => {
    for (const [i, env] of ['env-a', 'env-b', 'env-c'].entries()) await set.enlist(`d${i}`, env, 1_000 + i);
    const claimed = await set.claim(5_000, 30_000, 10);
    for (const group of claimed) await set.release(group);
    expect((await set.claim(5_000, 30_000, 10)).map((c) => [c.group, c.dueAt])).toEqual([
      [environment('env-a'), 1_000],
      [environment('env-b'), 1_001],
      [environment('env-c'), 1_002],
    ]);
  });

  it('moves a deployment between its own entry and its environment, never holding both', async () => {
    await set.enlist('d1', undefined, 1_000);
    await set.join('d1', 'env-a', 1_000);
    expect(await set.missing([{ deploymentId: 'd1', environmentId: 'env-a' }])).toEqual([]);
    expect((await set.claim(2_000, 100, 10)).map((c) => c.group)).toEqual([environment('env-a')]);
    await set.leave('env-a', 'd1', 3_000);
    expect((await set.environment('env-a')).members).toEqual([]);
    expect(
      await set.missing([
        { deploymentId: 'd1', environmentId: undefined },
        { deploymentId: 'd9', environmentId: 'env-a' },
      ]),
    ).toEqual(['d9']);
  });
});
