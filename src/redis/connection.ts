import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisClient } from './scripts.js';
import { parseRedisUrl } from './url.js';

/**
 * Connection roles follow BullMQ's production guide: the producer side fails fast so a webhook
 * gets a 503 at once when Redis is gone, while a worker's blocking connection waits for Redis to
 * come back (`maxRetriesPerRequest: null`).
 */
export type ConnectionRole = 'producer' | 'worker' | 'history' | 'events';

export function createRedis(url: string, role: ConnectionRole, logger: Logger): RedisClient {
  const common: RedisOptions = { connectionName: `deploy-relay:${role}`, lazyConnect: false };
  const byRole: Record<ConnectionRole, RedisOptions> = {
    producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 },
    // Auto-pipelining sends the commands issued in one tick together. Only here: it builds a pipeline
    // per batch, which on a connection carrying BullMQ's scripts copies all of them each time.
    history: { maxRetriesPerRequest: 2, connectTimeout: 5_000, enableAutoPipelining: true },
    worker: { maxRetriesPerRequest: null, enableReadyCheck: false },
    // The live feed's blocking reader, like a worker's: it waits for Redis to come back.
    events: { maxRetriesPerRequest: null, enableReadyCheck: false },
  };
  const target = parseRedisUrl(url);
  if (typeof target === 'string') throw new Error(`REDIS_URL ${target}`);
  const options = { ...common, ...byRole[role] };
  const redis =
    target.kind === 'url'
      ? new Redis(target.url, options)
      : target.kind === 'sentinel'
        ? new Redis({ ...target.options, ...options })
        : new Cluster(target.nodes, {
            redisOptions: { ...target.options, ...options },
            lazyConnect: false,
            ...(options.enableOfflineQueue === false && { enableOfflineQueue: false }),
            ...(options.enableAutoPipelining && { enableAutoPipelining: true }),
            ...(options.enableReadyCheck === false && { enableReadyCheck: false }),
          });
  // Without a listener ioredis prints every reconnect failure to stderr; /readyz says whether Redis answers.
  redis.on('error', logErrorsOnce(logger.child({ role }), 'Redis connection error', redis));
  return redis;
}

/**
 * While Redis is away the same error comes back on every reconnect attempt of every connection
 * (BullMQ opens its own). It is logged once, without a stack, when it first appears or changes;
 * when `connection` is ready again one line says so and how many repeats were left out.
 */
export function logErrorsOnce(logger: Logger, message: string, connection: RedisClient): (error: unknown) => void {
  let last: string | undefined;
  let repeats = 0;
  connection.on('ready', () => {
    if (last !== undefined) logger.info({ repeats }, `${message}: connection restored`);
    last = undefined;
    repeats = 0;
  });
  return (error) => {
    const text = error instanceof Error ? error.message : String(error);
    if (text === last) {
      repeats += 1;
      return;
    }
    logger.warn({ err: text, ...(last !== undefined && { previousRepeats: repeats }) }, message);
    last = text;
    repeats = 0;
  };
}

/** Resolves when the connection is ready, or false after `timeoutMs`: starting without Redis is allowed, /readyz tells. */
export function whenReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}

const corked = new WeakSet<object>();

/**
 * Holds the connection's writes until the event loop's check phase, so the commands of every
 * request handled in this turn leave in one writev: one syscall here and one read for Redis,
 * instead of one of each per command. This is what ioredis's auto-pipelining aims at, without the
 * pipeline object it builds per batch (which copies every script BullMQ defined on the connection).
 */
export function batchWritesThisTurn(redis: RedisClient): void {
  // A Cluster client spreads commands over one socket per node: it is not corked.
  if (!(redis instanceof Redis)) return;
  const { stream } = redis;
  if (redis.status !== 'ready' || corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  setImmediate(() => {
    corked.delete(stream);
    stream.uncork();
  });
}

/** Deletes every key under `prefix:` (SCAN and UNLINK, so Redis never blocks on it); how many were deleted. */
export async function deleteKeysWithPrefix(redis: RedisClient, prefix: string): Promise<number> {
  if (redis instanceof Cluster) {
    const counts = await Promise.all(redis.nodes('master').map((node) => deleteKeysWithPrefix(node, prefix)));
    return counts.reduce((sum, n) => sum + n, 0);
  }
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
