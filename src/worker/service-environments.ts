import type { RelayKeys } from '../redis/keys.js';
import type { RedisClient } from '../redis/scripts.js';

/** Renewed at every write: services that stop being deployed are forgotten after a month. */
const KEPT_MS = 30 * 24 * 3600 * 1000;
/** How long a service whose environment cannot be read or used is followed on its own before trying again. */
const ALONE_MS = 3600 * 1000;

/**
 * Which Qovery environment each service (by lane) belongs to, so its deployments are followed
 * with the rest of that environment's. Learned once per service and shared by every worker
 * through Redis, where it is read only when a deployment joins following (a process-wide copy
 * would cost ~200 B per service for nothing); a service whose environment cannot be used is
 * followed alone for an hour.
 */
export function createServiceEnvironments(deps: { redis: RedisClient; keys: RelayKeys; now?: () => number }) {
  const { redis, keys } = deps;
  const now = deps.now ?? Date.now;
  const aloneUntil = new Map<string, number>();

  return {
    /** The service's environment, when learned; undefined while it is followed alone. */
    async of(lane: string): Promise<string | undefined> {
      if (this.alone(lane)) return undefined;
      return (await redis.hget(keys.serviceEnvironments, lane)) ?? undefined;
    },

    async remember(lane: string, environmentId: string): Promise<void> {
      await redis.multi().hset(keys.serviceEnvironments, lane, environmentId).pexpire(keys.serviceEnvironments, KEPT_MS).exec();
    },

    /** The environment is wrong or unreadable for this service: forget it and follow the service alone for a while. */
    async followAlone(lane: string): Promise<void> {
      aloneUntil.set(lane, now() + ALONE_MS);
      await redis.hdel(keys.serviceEnvironments, lane);
    },

    alone(lane: string): boolean {
      const until = aloneUntil.get(lane);
      if (until === undefined) return false;
      if (until > now()) return true;
      aloneUntil.delete(lane);
      return false;
    },
  };
}

export type ServiceEnvironments = ReturnType<typeof createServiceEnvironments>;
