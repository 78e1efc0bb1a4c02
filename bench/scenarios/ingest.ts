import { randomUUID } from 'node:crypto';
import { hammer, type LoadResult, type OutgoingRequest } from '../load.js';
import { scope } from '../cleanup.js';
import { cpuMeter, sample } from '../proc.js';
import { asDelivery, commitFor, rulesYaml, signedPush } from '../pushes.js';
import { deleteKeys, startPrivateRedis, type PrivateRedis } from '../redis.js';
import { startBaselineProcess, startRelayProcess } from '../relay-process.js';
import { row, type BenchContext, type IngestFigures, type Scenario } from '../report.js';
import { mb, ms, perSecond, ratio, sleep } from '../stats.js';

export const CONNECTIONS = 50;
export const MEASURE_S = 10;
const WARMUP_S = 2;

/**
 * A new signed push for every request (its own commit, so its own signed content) under a new
 * delivery id. The relay answers a repeat of signed content as a duplicate, so re-sending a pool
 * of bodies would measure the duplicate path instead of intake.
 */
export function pushStream(job = 0): () => OutgoingRequest {
  let sequence = 0;
  return () => {
    const push = signedPush({ job, commit: commitFor(1, sequence++) });
    return { headers: asDelivery(push, randomUUID()), body: push.body };
  };
}

export type Measured = LoadResult & { cpuUsPerRequest: Record<string, number> };

/** Warms the server up, then measures it, with the CPU each process spent per request. */
async function warmThenMeasure(url: string, measureS: number, pids: Record<string, number>): Promise<Measured> {
  const next = pushStream();
  const path = '/webhooks/github';
  await hammer({ url, path, connections: CONNECTIONS, durationS: WARMUP_S, next });
  const cpu = cpuMeter(pids);
  await cpu.start();
  const result = await hammer({ url, path, connections: CONNECTIONS, durationS: measureS, next });
  return { ...result, cpuUsPerRequest: await cpu.stop(result.ok + result.non2xx) };
}

const cpuLine = (cpu: Record<string, number>): string => `server ${cpu.server} µs, Redis ${cpu.redis} µs, load generator ${cpu.bench} µs`;

/** The relay in the API role under the ingest load; cached so the peer and footprint rows reuse it. */
export async function measureRelayIngest(ctx: BenchContext, redis?: PrivateRedis, measureS = MEASURE_S): Promise<IngestFigures> {
  if (ctx.cache.relayIngest) return ctx.cache.relayIngest;
  const resources = scope();
  try {
    const own = redis ?? resources.defer(await startPrivateRedis(), (r) => r.stop());
    const prefix = resources.defer(`bench-ingest-${randomUUID().slice(0, 8)}`, (p) => deleteKeys(own.client, p));
    const relay = resources.defer(
      await startRelayProcess({
        build: ctx.build,
        name: 'ingest-api',
        role: 'api',
        redisUrl: own.url,
        prefix,
        rulesYaml: rulesYaml(1),
        env: { RATE_LIMIT_MAX: '1000000000' },
        ...(ctx.cpuProfDir && { cpuProfDir: ctx.cpuProfDir }),
      }),
      (r) => r.stop(),
    );
    await sleep(1_000);
    const idleRss = await relay.rss();
    ctx.log(`ingest: relay (API role, pid ${relay.pid}) idle at ${mb(idleRss)}; ${WARMUP_S} s warm-up, then ${measureS} s at ${CONNECTIONS} connections`);
    const rss = sample(() => relay.rss(), 250);
    const result = await warmThenMeasure(relay.url, measureS, { server: relay.pid, redis: own.pid });
    const peakRss = rss.stop().peak;
    ctx.cache.relayIngest = {
      rps: result.rps,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      idleRss,
      peakRss,
      non2xx: result.non2xx,
      errors: result.errors,
      cpuUsPerRequest: result.cpuUsPerRequest,
    };
    return ctx.cache.relayIngest;
  } finally {
    await resources.close();
  }
}

/** The baseline on the same Redis, measured like the relay. */
async function measureBaseline(ctx: BenchContext, redis: PrivateRedis): Promise<Measured> {
  const resources = scope();
  try {
    const prefix = resources.defer(`bench-baseline-${randomUUID().slice(0, 8)}`, (p) => deleteKeys(redis.client, p));
    const baseline = resources.defer(await startBaselineProcess(ctx.build, redis.url, prefix), (b) => b.stop());
    ctx.log(`ingest: baseline (bare Fastify + queue.add, pid ${baseline.pid}), ${WARMUP_S} s warm-up, then ${MEASURE_S} s`);
    return await warmThenMeasure(baseline.url, MEASURE_S, { server: baseline.pid, redis: redis.pid });
  } finally {
    await resources.close();
  }
}

export const ingest: Scenario = {
  name: 'ingest',
  title: '1 ingest',
  async run(ctx) {
    const resources = scope();
    try {
      const redis = resources.defer(await startPrivateRedis(), (r) => r.stop());
      const baseline = await measureBaseline(ctx, redis);
      const relay = await measureRelayIngest(ctx, redis);
      const throughput = relay.rps / baseline.rps;
      const p99 = relay.p99Ms / baseline.p99Ms;
      const s = this.title;
      const failures = relay.non2xx + relay.errors;
      return {
        rows: [
          row(
            s,
            'relay (API role): throughput',
            perSecond(relay.rps),
            '—',
            null,
            failures > 0 ? `${relay.non2xx} non-2xx answers and ${relay.errors} errors` : undefined,
          ),
          row(s, 'relay: latency p50 / p99', `${ms(relay.p50Ms)} / ${ms(relay.p99Ms)}`),
          row(s, 'relay: CPU per webhook', cpuLine(relay.cpuUsPerRequest)),
          row(s, 'baseline (Fastify + queue.add): throughput', perSecond(baseline.rps)),
          row(s, 'baseline: latency p50 / p99', `${ms(baseline.p50Ms)} / ${ms(baseline.p99Ms)}`),
          row(s, 'baseline: CPU per webhook', cpuLine(baseline.cpuUsPerRequest)),
          row(s, 'throughput ratio relay/baseline', ratio(throughput), '>= 0.80x', throughput >= 0.8),
          row(s, 'p99 ratio relay/baseline', ratio(p99), '<= 1.50x', p99 <= 1.5),
        ],
        details: { connections: CONNECTIONS, durationS: MEASURE_S, relay, baseline },
      };
    } finally {
      await resources.close();
    }
  },
};
