import { luaScript, type RedisClient } from '../redis/scripts.js';

// A token bucket in Redis, so every worker process draws from one budget. Takes up to ARGV[4]
// tokens while leaving ARGV[5] in the bucket; returns { granted, 0 }, or { 0, milliseconds until
// one above that reserve will be available }.
const TAKE = `
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local reserve = tonumber(ARGV[5])
local granted = math.min(tonumber(ARGV[4]), math.floor(tokens - reserve))
local wait = 0
if granted >= 1 then tokens = tokens - granted else granted = 0; wait = math.ceil((1 + reserve - tokens) / perMs) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 7200000)
return { granted, wait }`;
const takeScript = luaScript(TAKE);

/** Who asks: a deploy call may take the bucket's last tokens; a status read leaves a reserve for them. */
export type BudgetUse = 'deploy' | 'follow';

/**
 * Keeps every call to the Qovery API, deploys and polls together, under `perHour`. The bucket
 * holds one minute's worth and refills at (perHour - capacity) per hour, so no hour-long window
 * ever sees more than `perHour` calls. Reads for following stop a quarter of the bucket short
 * (at least one call), so when the budget runs short the deploy calls still go first.
 */
export function createQoveryBudget(deps: { redis: RedisClient; key: string; perHour: number; now?: () => number }) {
  const capacity = Math.max(1, Math.floor(deps.perHour / 60));
  const perMs = Math.max(1, deps.perHour - capacity) / 3_600_000;
  const now = deps.now ?? Date.now;
  // At high budgets a worker draws a few tokens per round trip and spends them within a second;
  // at the default 1000/hour it draws one at a time, so no process sits on others' share.
  const batch = Math.max(1, Math.min(50, Math.floor(capacity / 100)));
  const reserves: Record<BudgetUse, number> = { deploy: 0, follow: capacity > 1 ? Math.max(1, Math.floor(capacity / 4)) : 0 };
  const held: Record<BudgetUse, { count: number; until: number }> = { deploy: { count: 0, until: 0 }, follow: { count: 0, until: 0 } };
  return {
    /** 0 when the call may go now; otherwise how long to wait before asking again. */
    async take(use: BudgetUse = 'deploy'): Promise<number> {
      const mine = held[use];
      if (mine.count > 0 && now() < mine.until) {
        mine.count -= 1;
        return 0;
      }
      const [granted, wait] = (await takeScript(deps.redis, [deps.key], [capacity, perMs, now(), batch, reserves[use]])) as [number, number];
      if (granted === 0) return Number(wait);
      mine.count = granted - 1;
      mine.until = now() + 1_000;
      return 0;
    },
    /** Whole calls left in the shared bucket now, refilled as TAKE would; read-only, for /metrics. */
    async left(): Promise<number> {
      const [tokens, at] = await deps.redis.hmget(deps.key, 'tokens', 'at');
      if (tokens === null || at === null) return capacity;
      return Math.floor(Math.min(capacity, Number(tokens) + Math.max(0, now() - Number(at)) * perMs));
    },
  };
}

export type QoveryBudget = ReturnType<typeof createQoveryBudget>;
