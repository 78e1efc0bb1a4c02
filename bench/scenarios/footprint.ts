import { relayKeys } from '../../src/redis/keys.js';
import { hammer } from '../load.js';
import { asDelivery, commitFor, rulesYaml, signedPush } from '../pushes.js';
import { scope } from '../cleanup.js';
import { memoryByGroup } from '../redis.js';
import { row, type BenchContext, type Scenario } from '../report.js';
import { startStack } from '../stack.js';
import { mb, sleep, until } from '../stats.js';
import { measureRelayIngest } from './ingest.js';

const DEPLOYMENTS = 1_000;
const IDLE_RSS_TARGET = 80 * 1024 * 1024;

/** Which part of the relay's data a key holds. */
function groupOf(prefix: string, key: string): string {
  const rest = key.slice(prefix.length + 1);
  if (/^dep:[^:]+$/.test(rest)) return 'deployment';
  if (/^dep:[^:]+:tr$/.test(rest)) return 'transitions';
  if (rest.startsWith('dlv:') || rest.startsWith('dlv-src:') || rest.startsWith('dlv-sig:')) return 'delivery';
  if (rest.startsWith('deps') || rest.startsWith('dlvs')) return 'indexes';
  if (rest.startsWith('job:')) return 'per Qovery job';
  if (rest.startsWith('deploy:')) return 'BullMQ';
  return 'other';
}

const bytes = (n: number): string => (Number.isFinite(n) ? `${Math.round(n)} B` : 'n/a');

interface Storage {
  readonly used: number;
  readonly history: number;
  readonly queue: number;
  readonly transitions: number;
  readonly groups: Record<string, { keys: number; bytes: number }>;
}

/** How long an idle relay is watched: V8's memory reducer gives back start-up's heap after ~30 s with no work. */
const IDLE_WATCH_MS = 45_000;

/**
 * RSS of a relay (role all, one route) that takes no request: 2 s after it started, when start-up's
 * garbage is still on the heap, and once it has been idle for `IDLE_WATCH_MS`, as it runs between
 * deliveries.
 */
async function idleRss(ctx: BenchContext): Promise<{ readonly atStart: number; readonly settled: number }> {
  const resources = scope();
  try {
    const { relay } = await startStack(ctx, resources, { name: 'footprint-idle', role: 'all', rulesYaml: rulesYaml(1) });
    await sleep(2_000);
    const atStart = await relay.rss();
    await sleep(IDLE_WATCH_MS - 2_000);
    return { atStart, settled: await relay.rss() };
  } finally {
    await resources.close();
  }
}

/** 1,000 pushes (one per job) taken to their end; what Redis then holds per deployment. */
async function storage(ctx: BenchContext): Promise<Storage> {
  const resources = scope();
  try {
    const { redis, prefix, relay } = await startStack(ctx, resources, {
      name: 'footprint',
      role: 'all',
      rulesYaml: rulesYaml(DEPLOYMENTS),
      env: { QOVERY_POLL_INTERVAL_MS: '200' },
    });
    const before = await redis.usedMemory();
    let i = 0;
    await hammer({
      url: relay.url,
      path: '/webhooks/github',
      connections: 10,
      amount: DEPLOYMENTS,
      next: () => {
        const job = Math.min(i++, DEPLOYMENTS - 1);
        const push = signedPush({ job, commit: commitFor(6, job) });
        return { headers: asDelivery(push), body: push.body };
      },
    });
    const keys = relayKeys(prefix);
    await until(async () => (await redis.client.zcard(keys.deploymentIndex('status', 'succeeded'))) >= DEPLOYMENTS, 30_000, 200);
    const used = (await redis.usedMemory()) - before;
    const groups = Object.fromEntries(await memoryByGroup(redis.client, prefix, (key) => groupOf(prefix, key)));
    const sum = (...names: string[]) => names.reduce((n, name) => n + (groups[name]?.bytes ?? 0), 0);
    const pipeline = redis.client.pipeline();
    for (const id of await redis.client.zrange(keys.deployments, '0', '-1')) pipeline.llen(keys.transitions(id));
    const lengths = ((await pipeline.exec()) ?? []).map(([, n]) => Number(n));
    return {
      used: used / DEPLOYMENTS,
      history: sum('deployment', 'transitions', 'delivery', 'indexes') / DEPLOYMENTS,
      queue: sum('BullMQ') / DEPLOYMENTS,
      transitions: lengths.reduce((a, b) => a + b, 0) / Math.max(1, lengths.length),
      groups,
    };
  } finally {
    await resources.close();
  }
}

/**
 * An idle relay's RSS, the API relay's under scenario 1, and what Redis holds per deployment once
 * pushes have gone the whole way: queued, deploying, accepted, two in_progress reads, succeeded.
 */
export const footprint: Scenario = {
  name: 'footprint',
  title: '6 footprint',
  async run(ctx) {
    const idle = await idleRss(ctx);
    ctx.log(`footprint: idle relay (role all) at ${mb(idle.settled)} (${mb(idle.atStart)} 2 s after start); ${DEPLOYMENTS} pushes taken to their end`);
    const perDeployment = await storage(ctx);
    const ingest = await measureRelayIngest(ctx);
    const s = this.title;
    return {
      rows: [
        row(s, 'relay RSS 2 s after start (role all)', mb(idle.atStart)),
        row(s, `idle relay RSS (role all, ${IDLE_WATCH_MS / 1000} s without requests)`, mb(idle.settled), '<= 80 MB', idle.settled <= IDLE_RSS_TARGET),
        row(s, 'relay RSS 1 s after start (API role)', mb(ingest.idleRss)),
        row(s, 'relay RSS under scenario 1 (API role, peak)', mb(ingest.peakRss)),
        row(s, `Redis per deployment: history (${perDeployment.transitions.toFixed(1)} transitions, delivery, indexes)`, bytes(perDeployment.history)),
        row(
          s,
          'Redis per deployment: its finished BullMQ job',
          bytes(perDeployment.queue),
          '—',
          null,
          `each job is removed at once (removeOnComplete: true); what is left is the queue's own ${perDeployment.groups['BullMQ']?.keys ?? 0} keys, its events stream (capped at 10,000 entries) the largest, shared by every deployment`,
        ),
        row(s, 'Redis used_memory growth per deployment', bytes(perDeployment.used)),
      ],
      details: {
        idleRssAll: idle.settled,
        startRssAll: idle.atStart,
        idleRssApi: ingest.idleRss,
        ingestPeakRss: ingest.peakRss,
        deployments: DEPLOYMENTS,
        perDeployment,
      },
    };
  },
};
