import type { RedisClient } from '../history/lua.js';
import { luaScript } from '../history/lua.js';

// A token bucket in Redis, so every worker process draws from one budget. Returns 0 when a
// token was taken, else the milliseconds until one will be available.
const TAKE = `
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / perMs) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 7200000)
return wait`;
const takeScript = luaScript(TAKE);

/**
 * Keeps every call to the Qovery API, deploys and polls together, under `perHour`. The bucket
 * holds one minute's worth and refills at (perHour - capacity) per hour, so no hour-long window
 * ever sees more than `perHour` calls.
 */
export function createQoveryBudget(deps: { redis: RedisClient; key: string; perHour: number; now?: () => number }) {
  const capacity = Math.max(1, Math.floor(deps.perHour / 60));
  const perMs = Math.max(1, deps.perHour - capacity) / 3_600_000;
  const now = deps.now ?? Date.now;
  return {
    /** 0 when the call may go now; otherwise how long to wait before asking again. */
    async take(): Promise<number> {
      return Number(await takeScript(deps.redis, [deps.key], [capacity, perMs, now()]));
    },
  };
}

export type QoveryBudget = ReturnType<typeof createQoveryBudget>;
