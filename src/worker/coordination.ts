import type { RelayKeys } from '../redis/keys.js';
import { luaScript, type RedisClient } from '../redis/scripts.js';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const releaseScript = luaScript(RELEASE);

// Re-entry by the same holder (a job recovered after its worker died) keeps the lock.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;
const acquireScript = luaScript(ACQUIRE);

export interface JobLast {
  readonly dispatchedId?: string;
  readonly dispatchedOrder?: number;
  readonly dispatchedRequestId?: string;
  /** When it was handed over (ms): deployments stored before then were waiting alongside it. */
  readonly dispatchedAt?: number;
  readonly succeededId?: string;
  readonly succeededTag?: string;
  readonly succeededOrder?: number;
}

/**
 * Cross-worker coordination per Qovery job: a lock so one deploy call per job is in flight, the
 * newest pending deployment, and what was last handed to Qovery or last succeeded.
 */
export function createJobCoordination(deps: { redis: RedisClient; keys: RelayKeys }) {
  const { redis, keys } = deps;
  return {
    /** The lock holder is the deployment id, so a recovered job recognises its own lock. */
    async acquire(jobId: string, holder: string, ttlMs: number): Promise<boolean> {
      return (await acquireScript(redis, [keys.jobLock(jobId)], [holder, ttlMs])) === 1;
    },
    async release(jobId: string, holder: string): Promise<void> {
      await releaseScript(redis, [keys.jobLock(jobId)], [holder]);
    },
    async newestPending(jobId: string): Promise<{ id: string; order: number } | undefined> {
      const [id, order] = await redis.zrevrange(keys.jobPending(jobId), 0, 0, 'WITHSCORES');
      return id === undefined ? undefined : { id, order: Number(order) };
    },
    async last(jobId: string): Promise<JobLast> {
      const hash = await redis.hgetall(keys.jobLast(jobId));
      const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      return {
        ...(hash.dispatchedId && { dispatchedId: hash.dispatchedId, dispatchedOrder: num(hash.dispatchedOrder), dispatchedAt: num(hash.dispatchedAt) }),
        ...(hash.dispatchedRequestId && { dispatchedRequestId: hash.dispatchedRequestId }),
        ...(hash.succeededId && { succeededId: hash.succeededId, succeededOrder: num(hash.succeededOrder) }),
        ...(hash.succeededTag && { succeededTag: hash.succeededTag }),
      };
    },
    async markDispatched(jobId: string, deploymentId: string, order: number, requestId: string | undefined, at: number): Promise<void> {
      const fields: Record<string, string> = { dispatchedId: deploymentId, dispatchedOrder: String(order), dispatchedAt: String(at) };
      if (requestId) fields.dispatchedRequestId = requestId;
      await redis.hset(keys.jobLast(jobId), fields);
    },
    async markSucceeded(jobId: string, deploymentId: string, order: number, tag: string | undefined): Promise<void> {
      const fields: Record<string, string> = { succeededId: deploymentId, succeededOrder: String(order) };
      if (tag) fields.succeededTag = tag;
      await redis.hset(keys.jobLast(jobId), fields);
    },
  };
}

export type JobCoordination = ReturnType<typeof createJobCoordination>;
