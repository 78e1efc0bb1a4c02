import type { RelayKeys } from '../redis/keys.js';
import { luaScript, type RedisClient } from '../redis/scripts.js';

/** What one check reads: an environment's statuses for every deployment in flight there, or one deployment alone. */
export type FollowGroup = { readonly kind: 'environment'; readonly environmentId: string } | { readonly kind: 'deployment'; readonly deploymentId: string };

export interface ClaimedGroup {
  readonly group: FollowGroup;
  /** When it was due (ms): how late the check is, and where it goes back to if it cannot run now. */
  readonly dueAt: number;
}

const memberOf = (group: FollowGroup): string => (group.kind === 'environment' ? `e:${group.environmentId}` : `d:${group.deploymentId}`);

function groupOf(member: string): FollowGroup | undefined {
  const id = member.slice(2);
  if (member.startsWith('e:')) return { kind: 'environment', environmentId: id };
  if (member.startsWith('d:')) return { kind: 'deployment', deploymentId: id };
  return undefined;
}

// Due groups are leased by pushing their score past the lease, so two followers never check the
// same group at once and a follower that dies leaves its groups due again when the lease ends.
const CLAIM = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #due, 2 do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], due[i]) end
return due`;
const claimScript = luaScript(CLAIM);

// KEYS: due, environment set. ARGV: the deployment, its own member, the environment's member, when.
// Joining an environment drops the deployment's own entry, so it is never checked twice.
const JOIN = `
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[1], 'NX', ARGV[4], ARGV[3])
return 1`;
const joinScript = luaScript(JOIN);

// KEYS: due, and the environment set for an environment group. ARGV: the member, the next check
// ('' when a deployment's own group is done), '1' to keep an environment just read even with none
// left in flight, then the deployments that ended. An environment read keeps its next check for
// one interval, so a deployment joining it right after waits for that check instead of causing a
// second read; it leaves the due set at a check that finds none in flight, in the same step as
// that check, so a deployment joining meanwhile keeps it scheduled.
const SETTLE = `
if KEYS[2] then for i = 4, #ARGV do redis.call('SREM', KEYS[2], ARGV[i]) end end
local empty = KEYS[2] and ARGV[3] ~= '1' and redis.call('SCARD', KEYS[2]) == 0
if empty or (not KEYS[2] and ARGV[2] == '') then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
end
return 1`;
const settleScript = luaScript(SETTLE);

/**
 * The durable schedule of following: one sorted set of what is due when, and per environment the
 * deployments in flight there. A deployment is in it from the moment Qovery took it until it ends.
 */
export function createFollowSet(deps: { redis: RedisClient; keys: RelayKeys; requestTtlMs?: number }) {
  const { redis, keys } = deps;
  const requestTtlMs = deps.requestTtlMs ?? 24 * 3600 * 1000;

  return {
    /**
     * Idempotent: a deployment already followed stays where it is, and its group keeps its next
     * check. Its Qovery request id, when known, leads a Qovery webhook naming that request to it.
     */
    async enlist(deploymentId: string, environmentId: string | undefined, atMs: number, requestId?: string): Promise<void> {
      if (requestId !== undefined) await redis.set(keys.followRequest(requestId), deploymentId, 'PX', requestTtlMs);
      if (environmentId === undefined) {
        await redis.zadd(keys.followDue, 'NX', atMs, memberOf({ kind: 'deployment', deploymentId }));
        return;
      }
      await this.join(deploymentId, environmentId, atMs);
    },

    /** Moves a deployment into its environment's group, which is checked at `atMs` unless it is due sooner. */
    async join(deploymentId: string, environmentId: string, atMs: number): Promise<void> {
      const own = memberOf({ kind: 'deployment', deploymentId });
      const shared = memberOf({ kind: 'environment', environmentId });
      await joinScript(redis, [keys.followDue, keys.followEnvironment(environmentId)], [deploymentId, own, shared, atMs]);
    },

    /** Takes the oldest due groups (at most `limit`) for `leaseMs`. */
    async claim(nowMs: number, leaseMs: number, limit: number): Promise<ClaimedGroup[]> {
      const flat = (await claimScript(redis, [keys.followDue], [nowMs, nowMs + leaseMs, limit])) as string[];
      const claimed: ClaimedGroup[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const group = groupOf(flat[i] ?? '');
        if (group) claimed.push({ group, dueAt: Number(flat[i + 1]) });
      }
      return claimed;
    },

    /** The deployments in flight in an environment, and whether Qovery's webhooks report on it lately. */
    async environment(environmentId: string): Promise<{ members: string[]; heard: boolean }> {
      const [[membersError, members] = [], [heardError, heard] = []] =
        (await redis.pipeline().smembers(keys.followEnvironment(environmentId)).exists(keys.followHeard(environmentId)).exec()) ?? [];
      if (membersError || heardError) throw membersError ?? heardError;
      return { members: members as string[], heard: heard === 1 };
    },

    /** The followed deployments these Qovery request ids are, each once. */
    async requests(requestIds: readonly string[]): Promise<string[]> {
      if (requestIds.length === 0) return [];
      const found = await redis.mget(...requestIds.map((id) => keys.followRequest(id)));
      return [...new Set(found.filter((id): id is string => id !== null))];
    },

    /** Notes requests an event named that no followed deployment is (yet): a deployment enlisted with one is checked at once. */
    async noteEarlyEvents(requestIds: readonly string[], forMs: number): Promise<void> {
      if (requestIds.length === 0) return;
      const pipeline = redis.pipeline();
      for (const id of requestIds) pipeline.set(keys.followEarlyEvent(id), '1', 'PX', forMs);
      await pipeline.exec();
    },

    /** Whether an event named this request before it was enlisted; the note is used up. */
    async takeEarlyEvent(requestId: string): Promise<boolean> {
      return (await redis.getdel(keys.followEarlyEvent(requestId))) !== null;
    },

    /** Qovery's webhooks reported on this environment (and so are working): it is polled as a safety net for `forMs`. */
    async heard(environmentIds: readonly string[], forMs: number): Promise<void> {
      const pipeline = redis.pipeline().set(keys.followHeard(undefined), '1', 'PX', forMs);
      for (const id of environmentIds) pipeline.set(keys.followHeard(id), '1', 'PX', forMs);
      await pipeline.exec();
    },

    /** Whether any of Qovery's webhooks arrived lately: a new deployment's first check can then wait for the safety net. */
    async heardAny(): Promise<boolean> {
      return (await redis.exists(keys.followHeard(undefined))) === 1;
    },

    /**
     * Records a check of an environment: the deployments that ended leave, and it is next due at
     * `nextAt`. `read`: Qovery was asked, so the environment stays scheduled even with none left.
     */
    async settleEnvironment(environmentId: string, ended: readonly string[], nextAt: number, read: boolean): Promise<void> {
      const member = memberOf({ kind: 'environment', environmentId });
      await settleScript(redis, [keys.followDue, keys.followEnvironment(environmentId)], [member, nextAt, read ? '1' : '0', ...ended]);
    },

    /** Records a check of a deployment on its own: next due at `nextAt`, or done. */
    async settleDeployment(deploymentId: string, nextAt: number | undefined): Promise<void> {
      await settleScript(redis, [keys.followDue], [memberOf({ kind: 'deployment', deploymentId }), nextAt ?? '', '0']);
    },

    /** Takes a deployment out of its environment's group to be checked on its own from `atMs`. */
    async leave(environmentId: string, deploymentId: string, atMs: number): Promise<void> {
      await redis
        .multi()
        .srem(keys.followEnvironment(environmentId), deploymentId)
        .zadd(keys.followDue, 'NX', atMs, memberOf({ kind: 'deployment', deploymentId }))
        .exec();
    },

    /** Hands a claimed group back with its old due time, so it keeps its place in line. */
    async release(claimed: ClaimedGroup): Promise<void> {
      await redis.zadd(keys.followDue, 'XX', claimed.dueAt, memberOf(claimed.group));
    },

    /** Brings an environment's next check forward to `atMs` (never later than it was). */
    async hasten(environmentId: string, atMs: number): Promise<void> {
      await redis.zadd(keys.followDue, 'XX', 'LT', atMs, memberOf({ kind: 'environment', environmentId }));
    },

    /** Of these deployments (with their environment where known), the ones the follow set does not hold. */
    async missing(entries: ReadonlyArray<{ deploymentId: string; environmentId: string | undefined }>): Promise<string[]> {
      if (entries.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const { deploymentId, environmentId } of entries) {
        pipeline.zscore(keys.followDue, memberOf({ kind: 'deployment', deploymentId }));
        if (environmentId === undefined) pipeline.echo('0');
        else pipeline.sismember(keys.followEnvironment(environmentId), deploymentId);
      }
      const results = (await pipeline.exec()) ?? [];
      return entries.flatMap(({ deploymentId }, i) => {
        const own = results[i * 2]?.[1];
        const shared = results[i * 2 + 1]?.[1];
        return own === null && Number(shared) !== 1 ? [deploymentId] : [];
      });
    },

    /** When the next group is due, if any. */
    async nextDueAt(): Promise<number | undefined> {
      const [, score] = await redis.zrange(keys.followDue, '0', '0', 'WITHSCORES');
      return score === undefined ? undefined : Number(score);
    },

    /** Groups due at `nowMs` or before: how far following is behind. */
    async dueCount(nowMs: number): Promise<number> {
      return redis.zcount(keys.followDue, '-inf', nowMs);
    },
  };
}

export type FollowSet = ReturnType<typeof createFollowSet>;
