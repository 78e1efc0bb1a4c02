import { randomUUID } from 'node:crypto';
import { scope } from '../cleanup.js';
import { hammer } from '../load.js';
import { cpuMeter } from '../proc.js';
import { rulesYaml } from '../pushes.js';
import { deleteKeys, startPrivateRedis } from '../redis.js';
import { startRelayProcess, type RelayProcess } from '../relay-process.js';
import { row, type BenchContext, type Scenario } from '../report.js';
import { perSecond, ratio } from '../stats.js';
import { CONNECTIONS, MEASURE_S, pushStream } from './ingest.js';

interface Figures {
  readonly one: number;
  readonly two: number;
  readonly cpu: Record<string, number>;
}

/** The same closed-loop load as scenario 1, its connections split evenly over the given API processes. */
async function load(relays: readonly RelayProcess[], durationS: number): Promise<number> {
  const results = await Promise.all(
    relays.map((relay, i) => hammer({ url: relay.url, path: '/webhooks/github', connections: CONNECTIONS / relays.length, durationS, next: pushStream(i) })),
  );
  return results.reduce((sum, r) => sum + r.rps, 0);
}

async function measure(ctx: BenchContext): Promise<Figures> {
  const resources = scope();
  try {
    const redis = resources.defer(await startPrivateRedis(), (r) => r.stop());
    const prefix = resources.defer(`bench-scale-${randomUUID().slice(0, 8)}`, (p) => deleteKeys(redis.client, p));
    const start = (name: string) =>
      startRelayProcess({ build: ctx.build, name, role: 'api', redisUrl: redis.url, prefix, rulesYaml: rulesYaml(2), env: { RATE_LIMIT_MAX: '1000000000' } });
    const first = resources.defer(await start('scale-api-1'), (r) => r.stop());
    ctx.log(`scale: one API process, ${MEASURE_S} s at ${CONNECTIONS} connections`);
    await load([first], 2);
    const one = await load([first], MEASURE_S);
    const second = resources.defer(await start('scale-api-2'), (r) => r.stop());
    ctx.log(`scale: two API processes on one Redis, ${CONNECTIONS / 2} connections each`);
    await load([first, second], 2);
    const cpu = cpuMeter({ api1: first.pid, api2: second.pid, redis: redis.pid });
    await cpu.start();
    const two = await load([first, second], MEASURE_S);
    return { one, two, cpu: await cpu.stop(Math.max(1, Math.round(two * MEASURE_S))) };
  } finally {
    await resources.close();
  }
}

/**
 * Scenario 1's load against one API process, then split over two on the same Redis: what a second
 * API process adds on this machine. The load generator runs in the bench process, so with two
 * relays, Redis and it on 2 cores the figure says how far the work divides, not what more cores give.
 */
export const scale: Scenario = {
  name: 'scale',
  title: '7 API processes',
  async run(ctx) {
    const f = await measure(ctx);
    const s = this.title;
    return {
      rows: [
        row(s, 'one API process: throughput', perSecond(f.one)),
        row(s, 'two API processes on one Redis: throughput', perSecond(f.two), '—', null, `${ratio(f.two / f.one)} of one process`),
        row(s, 'CPU per webhook with two: API 1 / API 2 / Redis / load generator', `${f.cpu.api1} / ${f.cpu.api2} / ${f.cpu.redis} / ${f.cpu.bench} µs`),
      ],
      details: { connections: CONNECTIONS, measureS: MEASURE_S, ...f },
    };
  },
};
