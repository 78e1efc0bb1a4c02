import { drainCalls, type Call } from '../fake.js';
import { paced, type PacedResult } from '../load.js';
import { scope } from '../cleanup.js';
import { cpuMeter, sample } from '../proc.js';
import { asDelivery, commitFor, rulesYaml, signedPush } from '../pushes.js';
import { row, type BenchContext, type Scenario } from '../report.js';
import { startStack } from '../stack.js';
import { mb, ms, percentile, until } from '../stats.js';

const RATE = 200;
const SECONDS = 20;
const WARMUP_S = 3;
/** One push per job per second: each push is its job's newest when processed, so every push gets a deploy call. */
const JOBS = RATE;

/** Sends `seconds` of pushes at RATE, round-robin over the jobs; returns when each commit left. */
async function send(url: string, run: number, seconds: number): Promise<{ sentAt: Map<string, number>; result: PacedResult }> {
  const sentAt = new Map<string, number>();
  const commits: string[] = [];
  const result = await paced({
    url,
    path: '/webhooks/github',
    perSecond: RATE,
    count: RATE * seconds,
    make: (i) => {
      const commit = commitFor(run, i);
      commits[i] = commit;
      const push = signedPush({ job: i % JOBS, commit });
      return { headers: asDelivery(push), body: push.body };
    },
    onSend: (i, at) => sentAt.set(commits[i] as string, at),
  });
  return { sentAt, result };
}

interface Figures {
  readonly sent: number;
  readonly accepted: number;
  readonly errors: number;
  readonly latenciesMs: number[];
  readonly cpuUsPerWebhook: Record<string, number>;
  readonly peakRss: number;
}

async function measure(ctx: BenchContext): Promise<Figures> {
  const resources = scope();
  try {
    const { redis, fake, relay } = await startStack(ctx, resources, { name: 'deploy', role: 'all', rulesYaml: rulesYaml(JOBS) });
    ctx.log(`deploy: relay (role all, pid ${relay.pid}); ${WARMUP_S} s warm-up, then ${RATE} webhooks/s for ${SECONDS} s over ${JOBS} jobs`);
    await send(relay.url, 2, WARMUP_S);
    await until(() => fake.deployCalls().length >= RATE * WARMUP_S, 10_000);
    drainCalls(fake);
    const rss = sample(() => relay.rss(), 500);
    const cpu = cpuMeter({ relay: relay.pid, redis: redis.pid });
    await cpu.start();
    const { sentAt, result } = await send(relay.url, 3, SECONDS);
    const cpuUsPerWebhook = await cpu.stop(sentAt.size);
    const deploys: Call[] = [];
    await until(
      () => {
        deploys.push(...drainCalls(fake).filter((c) => c.kind === 'deploy' && c.commit !== undefined && sentAt.has(c.commit)));
        return deploys.length >= sentAt.size;
      },
      15_000,
      200,
    );
    return {
      sent: sentAt.size,
      accepted: result.statuses.get(202) ?? 0,
      errors: result.errors,
      latenciesMs: deploys.map((c) => c.at - (sentAt.get(c.commit as string) as number)),
      cpuUsPerWebhook,
      peakRss: rss.stop().peak,
    };
  } finally {
    await resources.close();
  }
}

export const deployLatency: Scenario = {
  name: 'deploy',
  title: '3 webhook->deploy',
  async run(ctx) {
    const f = await measure(ctx);
    const p50 = percentile(f.latenciesMs, 50);
    const p99 = percentile(f.latenciesMs, 99);
    const deployCalls = f.latenciesMs.length;
    const missing = f.sent - deployCalls;
    const s = this.title;
    return {
      rows: [
        row(
          s,
          `webhooks sent (${RATE}/s for ${SECONDS} s) / deploy calls`,
          `${f.sent} / ${deployCalls}`,
          '—',
          null,
          missing > 0 || f.accepted < f.sent ? `${f.accepted} answered 202, ${f.errors} errors, ${missing} pushes without a deploy call` : undefined,
        ),
        row(s, 'arrival->deploy call p50', ms(p50), '<= 10 ms', p50 <= 10),
        row(s, 'arrival->deploy call p99', ms(p99), '<= 50 ms', p99 <= 50),
        row(
          s,
          'CPU per webhook while sending: relay / Redis',
          `${f.cpuUsPerWebhook.relay} / ${f.cpuUsPerWebhook.redis} µs`,
          '—',
          null,
          'the relay (role all) also follows earlier deployments, polled every 10 s',
        ),
        row(s, 'relay (role all) peak RSS', mb(f.peakRss)),
      ],
      details: {
        rate: RATE,
        seconds: SECONDS,
        jobs: JOBS,
        sent: f.sent,
        deployCalls,
        accepted: f.accepted,
        errors: f.errors,
        p50Ms: p50,
        p90Ms: percentile(f.latenciesMs, 90),
        p99Ms: p99,
        maxMs: percentile(f.latenciesMs, 100),
        peakRss: f.peakRss,
        cpuUsPerWebhook: f.cpuUsPerWebhook,
      },
    };
  },
};
