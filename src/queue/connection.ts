import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connection roles follow BullMQ's production guide: the producer side fails fast so a webhook
 * gets a 503 at once when Redis is gone, while a worker's blocking connection waits for Redis to
 * come back (`maxRetriesPerRequest: null`).
 */
export type ConnectionRole = 'producer' | 'worker' | 'history';

export function createRedis(url: string, role: ConnectionRole, name: string): Redis {
  const common: RedisOptions = { connectionName: `deploy-relay:${name}`, lazyConnect: false };
  const byRole: Record<ConnectionRole, RedisOptions> = {
    producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 },
    history: { maxRetriesPerRequest: 2, connectTimeout: 5_000 },
    worker: { maxRetriesPerRequest: null, enableReadyCheck: false },
  };
  return new Redis(url, { ...common, ...byRole[role] });
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
