import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createQoveryBudget } from '../../../src/qovery/rate-limit.js';

const redis = new Redis(inject('redisUrl'));
const keys: string[] = [];
const newKey = () => {
  const key = `test-budget-${randomUUID()}`;
  keys.push(key);
  return key;
};
afterEach(async () => {
  if (keys.length) await redis.del(...keys.splice(0));
});
afterAll(() => redis.disconnect());

describe('the Qovery call budget', () => {
  it('lets one minute worth of calls through at once, then makes callers wait for the refill', async () => {
    let clock = 1_000_000;
    const budget = createQoveryBudget({ redis, key: newKey(), perHour: 120, now: () => clock });
    // 120/hour holds 2 tokens and refills at 118/hour, one every ~30.5 s.
    expect(await budget.take()).toBe(0);
    expect(await budget.take()).toBe(0);
    const wait = await budget.take();
    expect(wait).toBeGreaterThan(30_000);
    expect(wait).toBeLessThan(31_000);
    clock += wait;
    expect(await budget.take()).toBe(0);
  });

  it('is one budget for every worker process sharing the Redis key', async () => {
    const key = newKey();
    const clock = () => 5_000_000;
    const a = createQoveryBudget({ redis, key, perHour: 60, now: clock });
    const b = createQoveryBudget({ redis, key, perHour: 60, now: clock });
    expect(await a.take()).toBe(0);
    expect(await b.take()).toBeGreaterThan(0);
  });

  it('never grants more than the hourly budget in an hour, whatever the batching', async () => {
    let clock = 0;
    const perHour = 600_000;
    const budget = createQoveryBudget({ redis, key: newKey(), perHour, now: () => clock });
    let granted = 0;
    // Ask every 2 ms for an hour's worth of simulated time, in 1 s steps of 500 asks.
    for (let second = 0; second < 60; second++) {
      for (let i = 0; i < 500; i++) {
        if ((await budget.take()) === 0) granted += 1;
        clock += 2;
      }
    }
    // One minute of an hour-long budget: at most a minute's refill plus the initial capacity.
    expect(granted).toBeLessThanOrEqual(perHour / 60 + perHour / 60);
    expect(granted).toBeGreaterThan(perHour / 60);
  });

  it('leaves a quarter of the bucket to deploy calls: reads for following stop short of it, deploys may spend it', async () => {
    let clock = 2_000_000;
    // 960/hour holds 16 tokens; following may take 12 of them.
    const budget = createQoveryBudget({ redis, key: newKey(), perHour: 960, now: () => clock });
    for (let i = 0; i < 12; i++) expect(await budget.take('follow')).toBe(0);
    const followWait = await budget.take('follow');
    expect(followWait).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) expect(await budget.take('deploy')).toBe(0);
    // With the bucket empty, a deploy waits for one token; following waits until the reserve is back too.
    const deployWait = await budget.take('deploy');
    expect(deployWait).toBeGreaterThan(0);
    const emptyFollowWait = await budget.take('follow');
    expect(emptyFollowWait / deployWait).toBeCloseTo(5, 1);
    clock += deployWait;
    expect(await budget.take('deploy')).toBe(0);
  });
});
