import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Connection roles follow BullMQ's production guide: the producer side fails fast so a webhook
 * gets a 503 at once when Redis is gone, while a worker's blocking connection waits for Redis to
 * come back (`maxRetriesPerRequest: null`).
 */
export type ConnectionRole = 'producer' | 'worker' | 'history';

export function createRedis(url: string, role: ConnectionRole, logger: Logger): Redis {
  const common: RedisOptions = { connectionName: `deploy-relay:${role}`, lazyConnect: false };
  const byRole: Record<ConnectionRole, RedisOptions> = {
    producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 },
    // Auto-pipelining sends the commands issued in one tick together. Only here: it builds a pipeline
    // per batch, which on a connection carrying BullMQ's scripts copies all of them each time.
    history: { maxRetriesPerRequest: 2, connectTimeout: 5_000, enableAutoPipelining: true },
    worker: { maxRetriesPerRequest: null, enableReadyCheck: false },
  };
  const redis = new Redis(url, { ...common, ...byRole[role] });
  // Without a listener ioredis prints every reconnect failure to stderr; one log line per state
  // change is enough, and /readyz says whether Redis answers.
  let lastError = '';
  redis.on('error', (err: Error) => {
    if (err.message !== lastError) logger.warn({ role, err: err.message }, 'Redis connection error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    if (lastError) logger.info({ role }, 'Redis connection restored');
    lastError = '';
  });
  return redis;
}

/** Resolves when the connection is ready, or false after `timeoutMs`: starting without Redis is allowed, /readyz tells. */
export function whenReady(redis: Redis, timeoutMs: number): Promise<boolean> {
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
export function batchWritesThisTurn(redis: Redis): void {
  const { stream } = redis;
  if (redis.status !== 'ready' || corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  setImmediate(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
