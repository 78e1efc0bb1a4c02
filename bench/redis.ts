import { Redis } from 'ioredis';
import { startRedisServer } from '../test/support/redis-provision.js';
import { track } from './cleanup.js';

export interface PrivateRedis {
  readonly url: string;
  readonly client: Redis;
  readonly pid: number;
  usedMemory(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Every scenario gets its own redis-server, as the tests start it, so Redis memory figures are
 * its own and nothing touches a shared Redis (never FLUSHALL on 6379).
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const server = await startRedisServer();
  track(server.process);
  const client = new Redis(server.url, { maxRetriesPerRequest: 2 });
  return {
    url: server.url,
    client,
    pid: server.process.pid as number,
    async usedMemory() {
      const info = await client.info('memory');
      return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
    },
    async stop() {
      client.disconnect();
      await server.stop();
    },
  };
}

/** Deletes a scenario's keys, as each test owns and removes its own. */
export { deleteKeysWithPrefix as deleteKeys } from '../src/redis/connection.js';

/** Bytes Redis attributes to each key (MEMORY USAGE, exact), summed by the group `group` names. */
export async function memoryByGroup(redis: Redis, prefix: string, group: (key: string) => string): Promise<Map<string, { keys: number; bytes: number }>> {
  const totals = new Map<string, { keys: number; bytes: number }>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const results = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const bytes = Number(results[i]?.[1] ?? 0);
      const name = group(key);
      const total = totals.get(name) ?? { keys: 0, bytes: 0 };
      totals.set(name, { keys: total.keys + 1, bytes: total.bytes + bytes });
    });
  } while (cursor !== '0');
  return totals;
}
