import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import { leasedRedisStore } from '../../../src/http/rate-limit-store.js';

const redis = new Redis(inject('redisUrl'));
const namespaces: string[] = [];
afterEach(async () => {
  for (const ns of namespaces.splice(0)) {
    const keys = await redis.keys(`${ns}*`);
    if (keys.length) await redis.del(...keys);
  }
});
afterAll(() => redis.disconnect());

/** One API process's store, as the plugin builds it, on a connection that counts the scripts it runs. */
function processStore(namespace: string): { store: FastifyRateLimitStore; redisCalls: () => number } {
  let calls = 0;
  const counting = new Proxy(redis, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if ((property === 'eval' || property === 'evalsha') && typeof value === 'function') {
        return (...args: unknown[]) => {
          calls += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const Store = leasedRedisStore(counting, namespace);
  return { store: new Store({}), redisCalls: () => calls };
}

function newNamespace(): string {
  const ns = `test-ratelimit-${randomUUID()}:`;
  namespaces.push(ns);
  return ns;
}

const incr = (store: FastifyRateLimitStore, key: string, max: number, windowMs: number) =>
  new Promise<{ current: number; ttl: number }>((resolve, reject) => {
    store.incr(key, (error, result) => (error || !result ? reject(error ?? new Error('no result')) : resolve(result)), windowMs, max);
  });

describe('the leased Redis rate-limit store', () => {
  it('never lets more than max through in a window, summed over every process sharing Redis', async () => {
    const ns = newNamespace();
    const processes = [processStore(ns), processStore(ns), processStore(ns)];
    let allowed = 0;
    // 600 requests from one client, spread over three processes, some of them concurrent.
    for (let round = 0; round < 100; round++) {
      const answers = await Promise.all(processes.flatMap(({ store }) => [incr(store, '10.0.0.1', 250, 60_000), incr(store, '10.0.0.1', 250, 60_000)]));
      allowed += answers.filter((a) => a.current <= 250).length;
    }
    // Leases are cut from the shared count: at most 250, less only by what a process still holds.
    expect(allowed).toBeLessThanOrEqual(250);
    expect(allowed).toBeGreaterThanOrEqual(250 - 3 * 2);
  });

  it('a busy client costs a Redis call per lease, not per request', async () => {
    const { store, redisCalls } = processStore(newNamespace());
    const answers = [];
    for (let i = 0; i < 1_000; i++) answers.push(await incr(store, '10.0.0.2', 100_000, 60_000));
    expect(answers.every((a) => a.current <= 100_000)).toBe(true);
    expect(answers.map((a) => a.current)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    // Leases of 1, 2, 4 ... 64, then 100 (1% of max, capped at 100): 16 calls for 1,000 requests.
    expect(redisCalls()).toBe(16);
  });

  it('a quiet client takes leases of one and so spends the shared budget as it goes', async () => {
    const ns = newNamespace();
    const { store } = processStore(ns);
    await incr(store, '10.0.0.3', 600, 60_000);
    expect(await redis.get(`${ns}10.0.0.3`)).toBe('1');
  });

  it('refuses locally once the window is spent, and lets requests through again in the next window', async () => {
    const ns = newNamespace();
    const { store, redisCalls } = processStore(ns);
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await incr(store, '10.0.0.4', 3, 400));
    expect(first.map((a) => a.current <= 3)).toEqual([true, true, true, false, false]);
    const callsWhenSpent = redisCalls();
    for (let i = 0; i < 20; i++) expect((await incr(store, '10.0.0.4', 3, 400)).current).toBeGreaterThan(3);
    expect(redisCalls()).toBe(callsWhenSpent);

    const { ttl } = await incr(store, '10.0.0.4', 3, 400);
    expect(ttl).toBeLessThanOrEqual(400);
    // Refused until the window ends; the first request after it opens a new window.
    await expect.poll(async () => (await incr(store, '10.0.0.4', 3, 400)).current, { timeout: ttl + 2_000, interval: 20 }).toBe(1);
  });

  it('keeps clients and routes apart', async () => {
    const ns = newNamespace();
    const { store } = processStore(ns);
    const route = store.child({ routeInfo: { method: 'POST', url: '/webhooks/:source' } } as never);
    expect((await incr(store, 'a', 1, 60_000)).current).toBe(1);
    expect((await incr(store, 'b', 1, 60_000)).current).toBe(1);
    expect((await incr(route, 'a', 1, 60_000)).current).toBe(1);
    expect((await incr(store, 'a', 1, 60_000)).current).toBeGreaterThan(1);
    expect(await redis.exists(`${ns}POST/webhooks/:source-a`)).toBe(1);
  });

  it('passes a Redis failure to the plugin, which lets the request through (skipOnError)', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const Store = leasedRedisStore(down, newNamespace());
    await expect(incr(new Store({}), 'c', 10, 60_000)).rejects.toThrow();
    down.disconnect();
  });
});
