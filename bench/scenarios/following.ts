import { createPollTracker } from '../polls.js';
import { scope } from '../cleanup.js';
import { cpuMeter, sample } from '../proc.js';
import { environmentIdFor, jobIdFor, rulesYaml } from '../pushes.js';
import { row, type BenchContext, type Scenario } from '../report.js';
import { startStack } from '../stack.js';
import { seedDeployments } from '../seed.js';
import { mb, ms, sleep } from '../stats.js';

const DEPLOYMENTS = 100_000;
const ENVIRONMENTS = 1_000;
/** The default poll interval: 100 environment reads a second, each listing 100 services. */
const POLL_MS = 10_000;
/**
 * Deploy calls hold a slot for ~10 ms, so getting 100,000 deployments in flight quickly needs ~50
 * slots (Little's law); following checks use as many concurrent environment reads. On the 2-core
 * reference machine 25 slots lost throughput, 100 gained none over 50 and cost ~15 MB of RSS
 * (docs/benchmarks.md).
 */
export const WORKER_CONCURRENCY = 50;
/**
 * What the README recommends for a worker following tens of thousands of deployments: 100 reads
 * a second of 40 KB answers grow V8's semi-spaces to their 16 MB maximum; capped at 4 MB the same
 * run peaks at 208 MB instead of 288 MB, for ~5% more CPU (docs/benchmarks.md).
 */
export const WORKER_NODE_ARGS = ['--max-semi-space-size=4'];
const MEASURE_S = 40;

interface Figures {
  readonly seededS: number;
  readonly inFlightS: number;
  readonly deployCalls: number;
  readonly lookups: number;
  readonly ownStatusReads: number;
  readonly pollsPerSecond: number;
  readonly deploymentsPerRead: number;
  readonly cpuUsPerPoll: Record<string, number>;
  readonly workerPeakRss: number;
  readonly redisPeakUsedMemory: number;
  readonly latenessMs: ReturnType<ReturnType<typeof createPollTracker>['close']>;
}

async function measure(ctx: BenchContext): Promise<Figures> {
  const resources = scope();
  try {
    const {
      redis,
      fake,
      prefix,
      relay: worker,
    } = await startStack(ctx, resources, {
      name: 'following',
      role: 'worker',
      rulesYaml: rulesYaml(1),
      nodeArgs: WORKER_NODE_ARGS,
      env: { QOVERY_POLL_INTERVAL_MS: String(POLL_MS), WORKER_CONCURRENCY: String(WORKER_CONCURRENCY) },
      scriptFake: (f) => {
        f.scriptStatus('*', [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'DEPLOYING', reads: 1_000_000 }]);
        for (let job = 0; job < DEPLOYMENTS; job++) f.placeService('job', jobIdFor(job), environmentIdFor(job % ENVIRONMENTS));
      },
    });
    const tracker = resources.defer(createPollTracker(fake, POLL_MS), async (t) => t.stop());
    const started = Date.now();
    ctx.log(`following: seeding ${DEPLOYMENTS} deployments (one per job) for a worker (pid ${worker.pid}, concurrency ${WORKER_CONCURRENCY})`);
    await seedDeployments(redis, prefix, DEPLOYMENTS);
    const seededS = (Date.now() - started) / 1000;
    while (tracker.deployCalls < DEPLOYMENTS && Date.now() - started < 600_000) await sleep(250);
    const inFlightS = (Date.now() - started) / 1000;
    const deployCalls = tracker.deployCalls;
    // Each service's environment is learned at its first check, one interval after its deploy.
    while (tracker.lookups < DEPLOYMENTS && Date.now() - started < 600_000 + POLL_MS * 3) await sleep(250);
    ctx.log(
      `following: ${deployCalls} deploy calls after ${inFlightS.toFixed(1)} s (seeded in ${seededS.toFixed(1)} s), ${tracker.lookups} environments learned after ${((Date.now() - started) / 1000).toFixed(1)} s; settling one interval, measuring ${MEASURE_S} s`,
    );
    await sleep(POLL_MS);
    const rss = sample(() => worker.rss(), 500);
    const redisMemory = sample(() => redis.usedMemory(), 1_000);
    const cpu = cpuMeter({ worker: worker.pid, redis: redis.pid });
    await cpu.start();
    tracker.open(MEASURE_S * 1_000);
    await sleep(MEASURE_S * 1_000);
    tracker.harvest();
    const cpuUsPerPoll = await cpu.stop(Math.max(1, tracker.polls));
    await sleep(500);
    const latenessMs = tracker.close();
    return {
      seededS,
      inFlightS,
      deployCalls,
      lookups: tracker.lookups,
      ownStatusReads: tracker.ownStatusReads,
      pollsPerSecond: tracker.polls / MEASURE_S,
      deploymentsPerRead: tracker.covered / Math.max(1, tracker.polls),
      cpuUsPerPoll,
      workerPeakRss: rss.stop().peak,
      redisPeakUsedMemory: redisMemory.stop().peak,
      latenessMs,
    };
  } finally {
    await resources.close();
  }
}

/**
 * 100,000 deployments, one per job, spread over 1,000 environments, accepted by the fake Qovery and
 * then kept DEPLOYING, so one worker process follows all of them at the default 10 s interval. A
 * read's lateness is how much later than POLL_MS after the previous read of the same environment
 * it reached the fake.
 */
export const following: Scenario = {
  name: 'following',
  title: '5 following',
  async run(ctx) {
    const f = await measure(ctx);
    const s = this.title;
    const cpu = f.cpuUsPerPoll;
    return {
      rows: [
        row(
          s,
          'deployments in flight (deploy calls made)',
          `${f.deployCalls} of ${DEPLOYMENTS}`,
          String(DEPLOYMENTS),
          f.deployCalls >= DEPLOYMENTS,
          `all deploy calls made ${f.inFlightS.toFixed(1)} s after seeding started`,
        ),
        row(
          s,
          'environment reads per second (wanted 1 per environment per interval)',
          `${Math.round(f.pollsPerSecond)}/s`,
          `<= ${ENVIRONMENTS / (POLL_MS / 1000)}/s`,
          f.pollsPerSecond <= (ENVIRONMENTS / (POLL_MS / 1000)) * 1.02,
          `${f.deploymentsPerRead.toFixed(0)} deployments per read; ${f.lookups} environment lookups, ${f.ownStatusReads} single-service reads`,
        ),
        row(s, 'CPU per environment read: worker / Redis / bench (fake Qovery)', `${cpu.worker} / ${cpu.redis} / ${cpu.bench} µs`),
        row(s, 'worker peak RSS', mb(f.workerPeakRss), '<= 250 MB', f.workerPeakRss <= 250 * 1024 * 1024),
        row(s, 'Redis used memory (peak)', mb(f.redisPeakUsedMemory)),
        row(s, 'read lateness p50', ms(f.latenessMs.p50)),
        row(s, 'read lateness p99', ms(f.latenessMs.p99), '<= 2000 ms', f.latenessMs.p99 <= 2_000),
      ],
      details: { deployments: DEPLOYMENTS, environments: ENVIRONMENTS, pollIntervalMs: POLL_MS, workerConcurrency: WORKER_CONCURRENCY, ...f },
    };
  },
};
