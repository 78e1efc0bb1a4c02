import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TERMINAL_STATUSES, type Deployment } from '../../src/history/model.js';
import type { FakeQovery } from '../fakes/fake-qovery.js';
import type { TestRelay } from '../support/relay.js';
import { startWorkerFleet, type WorkerFleet } from '../support/relay-process.js';
import { routePerJobRules } from '../support/rules.js';

/**
 * A worker process is SIGKILLed in the middle of 200 deployments and a second one takes over:
 * BullMQ's stalled-job recovery and the deploy phase's crash recovery must finish every one of
 * them without a second deploy call for any.
 */
const SECRET = 'ci-secret-for-fault-tests';
// One job per push, so newest-wins supersedes none of them and all 200 reach the deploy call.
const TOTAL = 200;

const jobIdOf = (n: number) => `00000000-0000-4000-8000-${String(n + 1).padStart(12, '0')}`;
const commitOf = (job: number) => createHash('sha1').update(`kill-${job}`).digest('hex');

interface Sent {
  readonly id: string;
  readonly key: string;
}

let fleet: WorkerFleet | undefined;
const logs = () => fleet?.logs() ?? '';

afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/** A deploy call and a push meet on "<jobId> <commit>". */
const keyOf = (jobId: string, commit: string | undefined) => `${jobId} ${commit}`;

async function sendPushes(r: TestRelay): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let job = 0; job < TOTAL; job += 1) {
    const commit = commitOf(job);
    const response = await r.post('ci', { repository: `acme/svc-${job}`, branch: 'main', commit });
    expect(response.statusCode, JSON.stringify(response.json)).toBe(202);
    sent.push({ id: response.json.deployments[0].id, key: keyOf(jobIdOf(job), commit) });
  }
  return sent;
}

function callsPerPush(fake: FakeQovery, sent: readonly Sent[]): Map<string, number> {
  const calls = new Map(sent.map((s) => [s.key, 0]));
  for (const call of fake.deployCalls()) {
    const key = keyOf(call.path.split('/')[2] ?? '', (call.body as { git_commit_id?: string }).git_commit_id);
    expect(calls.has(key), `a deploy call matches no push: ${key}`).toBe(true);
    calls.set(key, (calls.get(key) ?? 0) + 1);
  }
  return calls;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('a worker killed mid-run', () => {
  it('loses none of 200 deployments and makes no second deploy call for any', async () => {
    fleet = await startWorkerFleet(routePerJobRules(TOTAL, jobIdOf), { CI_WEBHOOK_SECRET: SECRET });
    const { relay: r } = fleet;
    r.fake.setDeployDelay(40);
    r.fake.scriptStatus('*', [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'DEPLOYING' }, { state: 'DEPLOYED' }]);
    const sent = await sendPushes(r);
    const load = async () => (await r.relay.history.getDeployments(sent.map((s) => s.id))) as Deployment[];

    const workerSettings = { RECONCILE_INTERVAL_MS: '3000' };
    const first = fleet.spawnWorker(workerSettings);
    await vi.waitFor(
      () => {
        if (first.child.exitCode !== null) throw new Error(`the first worker exited early:\n${logs()}`);
        expect(r.fake.deployCalls().length).toBeGreaterThanOrEqual(Math.ceil(TOTAL / 3));
      },
      { timeout: 60_000, interval: 5 },
    );
    await first.kill('SIGKILL');
    const killedAt = Date.now();
    const callsAtKill = r.fake.deployCalls().length;
    const atKill = await load();
    // Caught between recording the intent to deploy and recording Qovery's answer.
    const stuck = new Set(atKill.filter((d) => d.status === 'deploying').map((d) => d.id));
    expect(atKill.filter((d) => d.status === 'queued').length, 'the kill must land before the run is over').toBeGreaterThan(0);

    const second = fleet.spawnWorker(workerSettings);
    let deployments: Deployment[] = [];
    let unstuckAt: number | undefined;
    await expect
      .poll(
        async () => {
          if (second.child.exitCode !== null) throw new Error(`the second worker exited:\n${logs()}`);
          deployments = await load();
          if (unstuckAt === undefined && deployments.every((d) => !stuck.has(d.id) || d.status !== 'deploying')) unstuckAt = Date.now();
          return deployments.filter((d) => !TERMINAL_STATUSES.has(d.status)).map((d) => `${d.id}:${d.status}`);
        },
        { timeout: 60_000, interval: 100, message: `deployments still open after the second worker took over\n${logs()}` },
      )
      .toEqual([]);
    const doneAt = Date.now();

    const calls = callsPerPush(r.fake, sent);
    const counts = [...calls.values()];
    const total = counts.reduce((a, b) => a + b, 0);
    const recovered = deployments.filter((d) => d.transitions.some((t) => t.detail?.startsWith('recovered after a worker stopped'))).length;
    console.log(
      `[worker-kill] killed after ${callsAtKill} deploy calls; statuses at kill ${JSON.stringify(countBy(atKill, (d) => d.status))}; ` +
        `the ${stuck.size} caught mid-deploy left 'deploying' ${(unstuckAt ?? doneAt) - killedAt} ms after the kill ` +
        `(${recovered} found already deployed at Qovery, ${stuck.size - recovered} whose call had not reached it called now); ` +
        `all ${TOTAL} terminal ${doneAt - killedAt} ms after the kill; deploy calls per deployment: max ${Math.max(...counts)}, ` +
        `total ${total}/${TOTAL} = ${(total / TOTAL).toFixed(3)}; final ${JSON.stringify(countBy(deployments, (d) => d.status))}`,
    );

    expect(
      sent.filter((s) => (calls.get(s.key) ?? 0) > 1).map((s) => s.id),
      `deployments deployed twice\n${logs()}`,
    ).toEqual([]);
    // Nothing competes for a job here, so every push must have been deployed, exactly once, and succeeded.
    const byId = new Map(deployments.map((d) => [d.id, d]));
    for (const s of sent) {
      const d = byId.get(s.id);
      expect(d?.status, `${s.id}: ${JSON.stringify(d?.transitions)}`).toBe('succeeded');
      expect(calls.get(s.key), `${s.id} succeeded without its deploy call`).toBe(1);
    }
  }, 180_000);
});
