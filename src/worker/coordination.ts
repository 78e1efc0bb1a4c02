import type { RelayKeys } from '../redis/keys.js';
import { luaScript, type RedisClient } from '../redis/scripts.js';

const RELEASE = `for _, key in ipairs(KEYS) do if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end end return 1`;
const releaseScript = luaScript(RELEASE);

// Every lane's lock or none, so two releases sharing services cannot each hold half and wait on
// the other. Re-entry by the same holder (a deployment recovered after its worker died) keeps them.
const ACQUIRE = `
for _, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder ~= false and holder ~= ARGV[1] then return 0 end
end
for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) end
return 1`;
const acquireScript = luaScript(ACQUIRE);

// One step, so no reader sees the dispatch recorded while the call is still named in doubt.
const DISPATCHED = `
for _, key in ipairs(KEYS) do
  redis.call('HSET', key, 'dispatchedId', ARGV[1], 'dispatchedOrder', ARGV[2], 'dispatchedAt', ARGV[3])
  if ARGV[4] ~= '' then redis.call('HSET', key, 'dispatchedRequestId', ARGV[4]) else redis.call('HDEL', key, 'dispatchedRequestId') end
  if redis.call('HGET', key, 'inDoubtId') == ARGV[1] then redis.call('HDEL', key, 'inDoubtId') end
end
return 1`;
const dispatchedScript = luaScript(DISPATCHED);

const SETTLE = `for _, key in ipairs(KEYS) do if redis.call('HGET', key, 'inDoubtId') == ARGV[1] then redis.call('HDEL', key, 'inDoubtId') end end return 1`;
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
 * Cross-worker coordination per Qovery service (its lane, `laneOf`): a lock so one deploy call per
 * service is in flight, the newest pending deployment, and what was last handed to Qovery or last
 * succeeded. A deployment holds one lane per service it deploys: a release holds several, and
 * every call here applies to all of them at once.
 */
export function createJobCoordination(deps: { redis: RedisClient; keys: RelayKeys }) {
  const { redis, keys } = deps;
  const lastKeys = (lanes: readonly string[]) => lanes.map((lane) => keys.jobLast(lane));

  async function lastOf(lane: string): Promise<JobLast> {
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
  }

  return {
    /** The lock holder is the deployment id, so a recovered deployment recognises its own locks. */
    async acquire(lanes: readonly string[], holder: string, ttlMs: number): Promise<boolean> {
      return (
        (await acquireScript(
          redis,
          [...lanes].sort().map((lane) => keys.jobLock(lane)),
          [holder, ttlMs],
        )) === 1
      );
    },
    async release(lanes: readonly string[], holder: string): Promise<void> {
      await releaseScript(
        redis,
        lanes.map((lane) => keys.jobLock(lane)),
        [holder],
      );
    },
    /** The newest deployment waiting on each lane, in the order of `lanes`. */
    newestPending(lanes: readonly string[]): Promise<Array<{ id: string; order: number } | undefined>> {
      return Promise.all(
        lanes.map(async (lane) => {
          const [id, order] = await redis.zrevrange(keys.jobPending(lane), 0, 0, 'WITHSCORES');
          return id === undefined ? undefined : { id, order: Number(order) };
        }),
      );
    },
    /** Each lane's last dispatch and success, in the order of `lanes`. */
    lasts(lanes: readonly string[]): Promise<JobLast[]> {
      return Promise.all(lanes.map(lastOf));
    },
    /** Called by the lock holder just before its deploy call: until settled, the call's outcome is in doubt. */
    async markInDoubt(lanes: readonly string[], deploymentId: string): Promise<void> {
      const write = redis.multi();
      for (const key of lastKeys(lanes)) write.hset(key, 'inDoubtId', deploymentId);
      await write.exec();
    },
    /** The deployment's call is known not to have reached Qovery (or it ended): others may call. */
    async settle(lanes: readonly string[], deploymentId: string): Promise<void> {
      await settleScript(redis, lastKeys(lanes), [deploymentId]);
    },
    /** Qovery has the deployment: recorded as each lane's last dispatch, and its call is no longer in doubt. */
    async markDispatched(lanes: readonly string[], deploymentId: string, order: number, requestId: string | undefined, at: number): Promise<void> {
      await dispatchedScript(redis, lastKeys(lanes), [deploymentId, order, at, requestId ?? '']);
    },
    async markSucceeded(lanes: readonly string[], deploymentId: string, order: number, tag: string | undefined, digest: string | undefined): Promise<void> {
      const fields: Record<string, string> = { succeededId: deploymentId, succeededOrder: String(order) };
      if (tag) fields.succeededTag = tag;
      if (digest) fields.succeededDigest = digest;
      // Set or removed with the tag in one step, so a digest never describes another tag than its own.
      const write = redis.multi();
      for (const key of lastKeys(lanes)) {
        write.hset(key, fields);
        if (!digest) write.hdel(key, 'succeededDigest');
      }
      await write.exec();
    },
  };
}

export type JobCoordination = ReturnType<typeof createJobCoordination>;
