import { performance } from 'node:perf_hooks';
import { startPrivateRedis } from './redis.js';
import { percentile } from './stats.js';

export interface MachineSpeed {
  /** Median of sequential PINGs to a private redis-server: the cost of one wake-up on each side. */
  readonly redisPingUs: number;
  /** Ten million additions in a JIT-compiled loop: plain CPU speed. */
  readonly loopMs: number;
}

function addUp(steps: number): number {
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += i;
  return sum;
}

/**
 * The same code measured on the same VM has differed several-fold from one day to the next (its
 * loopback and wake-ups most of all), so the figures with absolute targets (milliseconds, polls
 * per second) are printed with the speed of the machine they were taken on.
 */
export async function machineSpeed(): Promise<MachineSpeed> {
  addUp(1e6);
  const loops: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    addUp(1e7);
    loops.push(performance.now() - start);
  }
  const redis = await startPrivateRedis();
  try {
    const pings: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const start = performance.now();
      await redis.client.ping();
      pings.push((performance.now() - start) * 1000);
    }
    return { redisPingUs: Math.round(percentile(pings, 50)), loopMs: Math.round(percentile(loops, 50) * 10) / 10 };
  } finally {
    await redis.stop();
  }
}
