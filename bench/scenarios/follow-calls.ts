import { relayKeys } from '../../src/redis/keys.js';
import { registerQoveryWebhook } from '../../src/qovery/webhook-registration.js';
import { QOVERY_TOKEN } from '../relay-process.js';
import { scope } from '../cleanup.js';
import { drainCalls, type Call } from '../fake.js';
import { environmentIdFor, jobIdFor, rulesYaml } from '../pushes.js';
import { row, type Row, type Scenario } from '../report.js';
import { seedDeployments } from '../seed.js';
import { startStack } from '../stack.js';
import { until } from '../stats.js';

const DEPLOYMENTS = 100;
const ENVIRONMENTS = 10;
const POLL_MS = 1_000;
/** Each deployment is queued for one read, deploying for three, then deployed: about five reads of its own. */
const WALK = [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'DEPLOYING', reads: 3 }, { state: 'DEPLOYED' }];
/** With webhooks the walk runs on a clock, as a real deployment does: five steps in half an interval. */
const STEP_MS = 100;
const WEBHOOK_SECRET = 'bench-qovery-webhook-secret';
const ROUNDS = [
  { name: 'polling, first round (learns environments)', webhooks: false },
  { name: 'polling, steady state', webhooks: false },
  { name: "with Qovery's webhooks", webhooks: true },
] as const;

interface Round {
  readonly name: string;
  readonly calls: Record<Call['kind'], number>;
  readonly perDeployment: number;
  /** Reads of one environment closer together than one poll interval. */
  readonly readsWithinAnInterval: number;
  readonly seconds: number;
}

const tally = (calls: readonly Call[]): Record<Call['kind'], number> => {
  const counts = { deploy: 0, status: 0, lookup: 0, statuses: 0 };
  for (const call of calls) counts[call.kind] += 1;
  return counts;
};

function closeReads(calls: readonly Call[]): number {
  const byEnvironment = new Map<string, number[]>();
  for (const call of calls) if (call.kind === 'statuses') byEnvironment.set(call.id, [...(byEnvironment.get(call.id) ?? []), call.at]);
  let close = 0;
  for (const reads of byEnvironment.values()) {
    reads.sort((a, b) => a - b);
    for (let i = 1; i < reads.length; i++) if ((reads[i] as number) - (reads[i - 1] as number) < POLL_MS) close += 1;
  }
  return close;
}

/**
 * Qovery calls per deployment followed to its end: 100 deployments over 10 environments, each
 * walking five status reads, polled every second. The first round learns each service's
 * environment (one lookup per service); the second is the steady state; the third registers the
 * relay's qovery source with the fake Qovery, whose deployments then run on a clock and report
 * their start and end to the relay.
 */
export const followCalls: Scenario = {
  name: 'follow-calls',
  title: '5a Qovery calls per deployment',
  async run(ctx) {
    const resources = scope();
    const rounds: Round[] = [];
    try {
      const { redis, fake, prefix, relay } = await startStack(ctx, resources, {
        name: 'follow-calls',
        role: 'all',
        rulesYaml: rulesYaml(1).replace('routes:\n', `  - name: qovery-events\n    type: qovery\n    secret: ${WEBHOOK_SECRET}\nroutes:\n`),
        env: { QOVERY_POLL_INTERVAL_MS: String(POLL_MS) },
        scriptFake: (f) => {
          f.scriptStatus('*', WALK);
          for (let job = 0; job < DEPLOYMENTS; job++) f.placeService('job', jobIdFor(job), environmentIdFor(job % ENVIRONMENTS));
        },
      });
      const succeeded = relayKeys(prefix).deploymentIndex('status', 'succeeded');
      for (const [round, plan] of ROUNDS.entries()) {
        if (plan.webhooks) {
          const registered = await registerQoveryWebhook({
            apiUrl: fake.url,
            token: QOVERY_TOKEN,
            timeoutMs: 5_000,
            organizationId: '00000000-0000-4000-8000-00000000000a',
            targetUrl: `${relay.url}/webhooks/qovery-events`,
            secret: WEBHOOK_SECRET,
          });
          if (!registered.ok) throw new Error(`could not register the webhook: ${registered.detail}`);
          fake.setTimedWalk(STEP_MS);
        }
        drainCalls(fake);
        const started = Date.now();
        await seedDeployments(redis, prefix, DEPLOYMENTS, { round });
        const done = await until(async () => (await redis.client.zcard(succeeded)) >= DEPLOYMENTS * (round + 1), 120_000, 100);
        if (!done) throw new Error(`round ${round + 1}: the deployments did not all succeed within 120 s`);
        const calls = drainCalls(fake);
        const counts = tally(calls);
        rounds.push({
          name: plan.name,
          calls: counts,
          perDeployment: calls.length / DEPLOYMENTS,
          readsWithinAnInterval: closeReads(calls),
          seconds: (Date.now() - started) / 1000,
        });
        ctx.log(`follow-calls: ${plan.name}: ${JSON.stringify(counts)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    } finally {
      await resources.close();
    }
    const s = this.title;
    const rows: Row[] = rounds.map((r) =>
      row(
        s,
        `calls per deployment, ${r.name}`,
        r.perDeployment.toFixed(2),
        r.name.startsWith('with') ? '<= 1.1' : '—',
        r.name.startsWith('with') ? r.perDeployment <= 1.1 : null,
        `${r.calls.deploy} deploys, ${r.calls.lookup} lookups, ${r.calls.statuses} environment reads, ${r.calls.status} single reads; ${r.seconds.toFixed(1)} s`,
      ),
    );
    const close = rounds.filter((r) => !r.name.startsWith('with')).reduce((sum, r) => sum + r.readsWithinAnInterval, 0);
    rows.push(row(s, 'environment reads closer than one interval', String(close), '0 (<= 1 per environment per interval)', close === 0));
    // What following cost before it was batched: one status read per deployment per interval.
    rows.push(
      row(s, 'calls per deployment before batching (one read per deployment per poll)', `~${(1 + WALK.reduce((n, w) => n + (w.reads ?? 1), 0)).toFixed(0)}`),
    );
    return { rows, details: { deployments: DEPLOYMENTS, environments: ENVIRONMENTS, pollIntervalMs: POLL_MS, rounds } };
  },
};
