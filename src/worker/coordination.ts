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

// One step, so no reader sees the dispatch recorded while the call is still named in doubt.
const DISPATCHED = `
redis.call('HSET', KEYS[1], 'dispatchedId', ARGV[1], 'dispatchedOrder', ARGV[2], 'dispatchedAt', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'dispatchedRequestId', ARGV[4]) end
if redis.call('HGET', KEYS[1], 'inDoubtId') == ARGV[1] then redis.call('HDEL', KEYS[1], 'inDoubtId') end
return 1`;
const dispatchedScript = luaScript(DISPATCHED);

const SETTLE = `if redis.call('HGET', KEYS[1], 'inDoubtId') == ARGV[1] then return redis.call('HDEL', KEYS[1], 'inDoubtId') end return 0`;
const settleScript = luaScript(SETTLE);

export interface JobLast {
  readonly dispatchedId?: string;
  readonly dispatchedOrder?: number;
  readonly dispatchedRequestId?: string;
  /** When it was handed over (ms): deployments stored before then were waiting alongside it. */
  readonly dispatchedAt?: number;
  readonly succeededId?: string;
  readonly succeededTag?: string;
  /** The digest of the image the last success deployed, when the registry told it. */
  readonly succeededDigest?: string;
  readonly succeededOrder?: number;
  /**
   * The deployment whose last deploy call may have reached Qovery without the relay knowing: set
   * before each call, cleared once its outcome is known. While it names a deployment that is still
   * deploying or uncertain, no other deployment of the job may call, or a call Qovery took would be
   * recovered as "not happened" (and recorded superseded) once a newer call replaced it there.
   */
  readonly inDoubtId?: string;
}

/**
 * Cross-worker coordination per Qovery service (its lane, `laneOf`): a lock so one deploy call per service is in flight, the
 * newest pending deployment, and what was last handed to Qovery or last succeeded.
 */
export function createJobCoordination(deps: { redis: RedisClient; keys: RelayKeys }) {
  const { redis, keys } = deps;
  return {
    /** The lock holder is the deployment id, so a recovered job recognises its own lock. */
    async acquire(lane: string, holder: string, ttlMs: number): Promise<boolean> {
      return (await acquireScript(redis, [keys.jobLock(lane)], [holder, ttlMs])) === 1;
    },
    async release(lane: string, holder: string): Promise<void> {
      await releaseScript(redis, [keys.jobLock(lane)], [holder]);
    },
    async newestPending(lane: string): Promise<{ id: string; order: number } | undefined> {
      const [id, order] = await redis.zrevrange(keys.jobPending(lane), 0, 0, 'WITHSCORES');
      return id === undefined ? undefined : { id, order: Number(order) };
    },
    async last(lane: string): Promise<JobLast> {
      const hash = await redis.hgetall(keys.jobLast(lane));
      const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      return {
        ...(hash.dispatchedId && { dispatchedId: hash.dispatchedId, dispatchedOrder: num(hash.dispatchedOrder), dispatchedAt: num(hash.dispatchedAt) }),
        ...(hash.dispatchedRequestId && { dispatchedRequestId: hash.dispatchedRequestId }),
        ...(hash.succeededId && { succeededId: hash.succeededId, succeededOrder: num(hash.succeededOrder) }),
        ...(hash.succeededTag && { succeededTag: hash.succeededTag }),
        ...(hash.succeededDigest && { succeededDigest: hash.succeededDigest }),
        ...(hash.inDoubtId && { inDoubtId: hash.inDoubtId }),
      };
    },
    /** Called by the lock holder just before its deploy call: until settled, the call's outcome is in doubt. */
    async markInDoubt(lane: string, deploymentId: string): Promise<void> {
      await redis.hset(keys.jobLast(lane), 'inDoubtId', deploymentId);
    },
    /** The deployment's call is known not to have reached Qovery (or it ended): others may call. */
    async settle(lane: string, deploymentId: string): Promise<void> {
      await settleScript(redis, [keys.jobLast(lane)], [deploymentId]);
    },
    /** Qovery has the deployment: recorded as the job's last dispatch, and its call is no longer in doubt. */
    async markDispatched(lane: string, deploymentId: string, order: number, requestId: string | undefined, at: number): Promise<void> {
      await dispatchedScript(redis, [keys.jobLast(lane)], [deploymentId, order, at, requestId ?? '']);
    },
    async markSucceeded(lane: string, deploymentId: string, order: number, tag: string | undefined, digest: string | undefined): Promise<void> {
      const fields: Record<string, string> = { succeededId: deploymentId, succeededOrder: String(order) };
      if (tag) fields.succeededTag = tag;
      if (digest) fields.succeededDigest = digest;
      // Set or removed with the tag in one step, so a digest never describes another tag than its own.
      const write = redis.multi().hset(keys.jobLast(lane), fields);
      if (!digest) write.hdel(keys.jobLast(lane), 'succeededDigest');
      await write.exec();
    },
  };
}

export type JobCoordination = ReturnType<typeof createJobCoordination>;
