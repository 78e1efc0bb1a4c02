import { relayKeys } from '../../src/redis/keys.js';
import { DEPLOYMENT_STATUSES, TERMINAL_STATUSES } from '../../src/history/model.js';
import { paced } from '../load.js';
import { asDelivery, commitFor, jobIdFor, rulesYaml, signedPush, type SignedPush } from '../pushes.js';
import { scope } from '../cleanup.js';
import type { PrivateRedis } from '../redis.js';
import { row, type BenchContext, type Scenario } from '../report.js';
import { startStack } from '../stack.js';
import { until } from '../stats.js';

const PUSHES = 1_000;
/** Enough sockets that the sender never waits for one: the burst arrives on time whatever the relay does. */
const SOCKETS = 256;

async function statusCounts(redis: PrivateRedis, prefix: string): Promise<Record<string, number>> {
  const keys = relayKeys(prefix);
  const counts = await Promise.all(DEPLOYMENT_STATUSES.map((s) => redis.client.zcard(keys.deploymentIndex('status', s))));
  return Object.fromEntries(DEPLOYMENT_STATUSES.map((s, i) => [s, counts[i] ?? 0]).filter(([, n]) => n !== 0));
}

interface Figures {
  readonly sendSpanS: number;
  readonly answeredAfterS: number;
  readonly answered: number;
  readonly deliveries: number;
  readonly stored: number;
  readonly counts: Record<string, number>;
  readonly settled: boolean;
  /** git_commit_id of each deploy call, in order. */
  readonly calls: Array<string | undefined>;
  readonly newestAfterS: number;
}

const NEWEST = commitFor(4, PUSHES - 1);
const commitOf = (body: unknown): string | undefined => (body as { git_commit_id?: string }).git_commit_id;

async function measure(ctx: BenchContext): Promise<Figures> {
  const resources = scope();
  try {
    // Short polls so the deployments end within seconds, and a deploy that lasts ~2.5 s (ten
    // polls), longer than the burst, as a real one (minutes) does: a push deployed early in the
    // burst is still running when the newest is deployed, and is superseded by it.
    const { redis, fake, prefix, relay } = await startStack(ctx, resources, {
      name: 'burst',
      role: 'all',
      rulesYaml: rulesYaml(1),
      env: { QOVERY_POLL_INTERVAL_MS: '250' },
      scriptFake: (f) => f.scriptStatus('*', [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'DEPLOYING', reads: 8 }, { state: 'DEPLOYED' }]),
    });
    const base = Date.now() - 60_000;
    const pushes: SignedPush[] = Array.from({ length: PUSHES }, (_, i) => signedPush({ job: 0, commit: commitFor(4, i), timestamp: new Date(base + i) }));
    ctx.log(`burst: ${PUSHES} pushes for one job within 1 s (relay role all, pid ${relay.pid})`);
    const started = Date.now();
    const sent = await paced({
      url: relay.url,
      path: '/webhooks/github',
      perSecond: PUSHES,
      count: PUSHES,
      maxSockets: SOCKETS,
      make: (i) => {
        const push = pushes[i] as SignedPush;
        return { headers: asDelivery(push), body: push.body };
      },
    });
    const ended = () =>
      statusCounts(redis, prefix).then((c) =>
        Object.entries(c)
          .filter(([s]) => TERMINAL_STATUSES.has(s as never))
          .reduce((n, [, v]) => n + v, 0),
      );
    const settled = await until(async () => (await ended()) >= PUSHES, 30_000, 200);
    const keys = relayKeys(prefix);
    const deployCalls = fake.deployCalls(jobIdFor(0));
    const newestAt = deployCalls.find((c) => commitOf(c.body) === NEWEST)?.at;
    return {
      sendSpanS: sent.sendSpanS,
      answeredAfterS: sent.durationS,
      answered: [...sent.statuses].filter(([code]) => code >= 200 && code < 300).reduce((n, [, count]) => n + count, 0),
      deliveries: await redis.client.zcard(keys.deliveries),
      stored: await redis.client.zcard(keys.deployments),
      counts: await statusCounts(redis, prefix),
      settled,
      calls: deployCalls.map((c) => commitOf(c.body)),
      newestAfterS: newestAt === undefined ? Number.NaN : (newestAt - started) / 1000,
    };
  } finally {
    await resources.close();
  }
}

/**
 * 1,000 pushes for one job within one second: push i leaves at i ms (open loop). Each push's
 * commit time is 1 ms after the previous one's, so the newest is the last sent.
 */
export const burst: Scenario = {
  name: 'burst',
  title: '4 burst',
  async run(ctx) {
    const f = await measure(ctx);
    const last = f.calls.at(-1);
    const others = f.stored - 1;
    const everyOtherSuperseded = (f.counts.superseded ?? 0) === others && (f.counts.succeeded ?? 0) === 1;
    const lost = PUSHES - Math.min(f.deliveries, f.stored, f.answered);
    const statuses = Object.entries(f.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const s = this.title;
    return {
      rows: [
        row(s, 'pushes sent within / all answered after', `${f.sendSpanS.toFixed(2)} s / ${f.answeredAfterS.toFixed(2)} s`),
        row(s, 'deploy calls to Qovery', String(f.calls.length), '<= 3', f.calls.length <= 3),
        row(s, 'last deploy call carries the newest commit', last === NEWEST ? 'yes' : `no (${last ?? 'none'})`, 'yes', last === NEWEST),
        row(s, 'newest push deployed, after the burst began', Number.isFinite(f.newestAfterS) ? `${f.newestAfterS.toFixed(2)} s` : 'never'),
        row(
          s,
          'every other deployment superseded',
          `${f.counts.superseded ?? 0} of ${others}`,
          `${others} of ${others}`,
          everyOtherSuperseded,
          `statuses: ${statuses}${f.settled ? '' : ' (not all ended within 30 s)'}`,
        ),
        row(s, 'lost (not stored or not answered)', String(lost), '0', lost === 0),
      ],
      details: { pushes: PUSHES, sockets: SOCKETS, ...f, deployCalls: f.calls.length, lastCommit: last, newest: NEWEST },
    };
  },
};
