import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { luaScript, type RedisClient } from '../redis/scripts.js';

// KEYS[1] the window's counter. ARGV: tokens wanted, window length in ms. Counts them as spent and
// returns the count after, and the time left in the window.
const LEASE = luaScript(`
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { count, ttl }
`);

/** A process holds at most this share of a window's budget unspent, and never more than MAX_LEASE. */
const LEASE_SHARE = 0.01;
const MAX_LEASE = 100;
const SWEEP_ABOVE_KEYS = 1_000;

type Counted = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Counted) => void;

interface Lease {
  /** The shared count just before this lease was taken, so answers can say how much is left. */
  readonly base: number;
  readonly wanted: number;
  readonly granted: number;
  used: number;
  readonly endsAt: number;
}

/**
 * Fixed windows counted in Redis, shared by every API process, like @fastify/rate-limit's own
 * Redis store, but spent from leases: a process takes a few requests' worth of the window at once
 * and answers from them locally. A busy client costs one Redis call per lease instead of one per
 * request; a quiet one gets leases of one, doubling while it keeps sending. Leases are cut from
 * the shared count, so all processes together never let more than `max` through in a window; the
 * price is that a process may leave up to 1% of the window (at most 100 requests) unspent, and
 * that the remaining count in the answer headers is this process's view.
 */
class LeasedRedisStore implements FastifyRateLimitStore {
  private readonly leases = new Map<string, Lease>();
  private readonly pending = new Map<string, Promise<Lease>>();
  private lastSweep = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  incr(key: string, callback: Callback, timeWindow: number, max: number): void {
    this.count(key, max, timeWindow).then(
      (counted) => callback(null, counted),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
    // The plugin's types name route options, but it passes its merged settings with the route under
    // `routeInfo`, which is what its own Redis store reads too.
    const { method, url } = (routeOptions as unknown as { routeInfo: { method: string; url: string } }).routeInfo;
    return new LeasedRedisStore(this.redis, `${this.prefix}${method}${url}-`);
  }

  private async count(key: string, max: number, timeWindow: number): Promise<Counted> {
    for (;;) {
      const lease = this.leases.get(key);
      const live = lease !== undefined && lease.endsAt > Date.now();
      // A lease granted short means the window is spent for every process: refuse locally until it ends.
      if (live && (lease.used < lease.granted || lease.granted < lease.wanted)) return spend(lease, max);
      const inFlight = this.pending.get(key);
      if (inFlight) {
        await inFlight.catch(() => undefined);
        continue;
      }
      const cap = Math.max(1, Math.min(MAX_LEASE, Math.floor(max * LEASE_SHARE)));
      const taking = this.takeLease(key, live ? Math.min(cap, lease.wanted * 2) : 1, max, timeWindow);
      this.pending.set(key, taking);
      try {
        const fresh = await taking;
        this.leases.set(key, fresh);
        return spend(fresh, max);
      } finally {
        this.pending.delete(key);
      }
    }
  }

  private async takeLease(key: string, wanted: number, max: number, timeWindow: number): Promise<Lease> {
    const [count, ttl] = (await LEASE(this.redis, [this.prefix + key], [wanted, timeWindow])) as [number, number];
    const base = count - wanted;
    const now = Date.now();
    this.sweep(now);
    return { base, wanted, granted: Math.max(0, Math.min(wanted, max - base)), used: 0, endsAt: now + ttl };
  }

  private sweep(now: number): void {
    if (this.leases.size < SWEEP_ABOVE_KEYS || now - this.lastSweep < 1_000) return;
    this.lastSweep = now;
    for (const [key, lease] of this.leases) if (lease.endsAt <= now) this.leases.delete(key);
  }
}

function spend(lease: Lease, max: number): Counted {
  const ttl = Math.max(0, lease.endsAt - Date.now());
  if (lease.used >= lease.granted) return { current: Math.max(max, lease.base + lease.granted) + 1, ttl };
  lease.used += 1;
  return { current: lease.base + lease.used, ttl };
}

/** The plugin constructs its store itself; this binds ours to the relay's connection and key prefix. */
export function leasedRedisStore(redis: RedisClient, namespace: string): FastifyRateLimitStoreCtor {
  return class extends LeasedRedisStore {
    constructor() {
      super(redis, namespace);
    }
  };
}
