import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TERMINAL_STATUSES, type Deployment } from '../../src/history/model.js';
import type { FakeQovery } from '../fakes/fake-qovery.js';
import type { TestRelay } from '../support/relay.js';
import { startWorkerFleet, type WorkerFleet } from '../support/relay-process.js';
import { routePerJobRules } from '../support/rules.js';

/**
 * Two worker processes share one Redis and one Qovery. Bursts of pushes for the same jobs race
 * between them: the per-job lock must keep one deploy call per job in flight, and newest-wins
 * must leave each job on its newest push.
 */
const SECRET = 'ci-secret-for-fault-tests';
const JOBS = 5;
const BURSTS = 3;
const PUSHES_PER_BURST = 4;

const jobIdOf = (n: number) => `00000000-0000-4000-8000-0000000001${String(n).padStart(2, '0')}`;
const commitOf = (job: number, seq: number) => createHash('sha1').update(`two-${job}-${seq}`).digest('hex');

interface Sent {
  readonly id: string;
  readonly job: number;
  readonly commit: string;
  readonly seq: number;
  /** The push time sent, which is what "newest" follows. */
  readonly pushedAtMs: number;
}

let fleet: WorkerFleet | undefined;
const logs = () => fleet?.logs() ?? '';
const alive = () => {
  const dead = fleet?.workers.findIndex((w) => w.child.exitCode !== null) ?? -1;
  if (dead !== -1) throw new Error(`worker ${dead + 1} exited:\n${logs()}`);
};

afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/**
 * Posts pushes with increasing push times, so "newest" is unambiguous whatever the arrival order;
 * a `late` push carries a time older than every other, like a webhook delivered out of order.
 */
function pusher(r: TestRelay, sent: Sent[]) {
  const base = Date.now() - 3_600_000;
  let seq = 0;
  return async (job: number, late = false): Promise<Sent> => {
    seq += 1;
    const s = { job, seq, commit: commitOf(job, seq), pushedAtMs: late ? base : base + seq * 1_000 };
    const pushedAt = new Date(s.pushedAtMs).toISOString();
    const response = await r.post('ci', { repository: `acme/svc-${job}`, branch: 'main', commit: s.commit, pushedAt });
    expect(response.statusCode, JSON.stringify(response.json)).toBe(202);
    const one = { ...s, id: response.json.deployments[0].id as string };
    sent.push(one);
    return one;
  };
}

function untilDeployed(fake: FakeQovery, s: Sent, what: string): Promise<void> {
  return vi.waitFor(
    () => {
      alive();
      const calls = fake.deployCalls(jobIdOf(s.job));
      if (!calls.some((c) => (c.body as { git_commit_id?: string }).git_commit_id === s.commit)) {
        throw new Error(`${what}: job ${s.job} push ${s.seq} not deployed yet\n${logs()}`);
      }
    },
    { timeout: 60_000, interval: 5 },
  );
}

describe('two worker processes on one Redis', () => {
  it('keep one deploy call per job in flight and leave every job on its newest push', async () => {
    fleet = await startWorkerFleet(routePerJobRules(JOBS, jobIdOf), { CI_WEBHOOK_SECRET: SECRET });
    const { relay: r } = fleet;
    r.fake.setDeployDelay(150);
    const sent: Sent[] = [];
    const push = pusher(r, sent);
    const newestOf = (pushes: readonly Sent[]) => pushes.reduce((a, b) => (b.pushedAtMs > a.pushedAtMs ? b : a));

    // A first burst waits in the queue for the workers, so its older pushes race the newest one
    // from the start and may be picked up only after the newest has already succeeded.
    const queued = await Promise.all(Array.from({ length: JOBS * PUSHES_PER_BURST }, (_, i) => push(i % JOBS)));
    const workerSettings = { QOVERY_REQUEST_TIMEOUT_MS: '5000', WORKER_LOCK_MS: '5000', WORKER_CONCURRENCY: '4' };
    fleet.spawnWorker(workerSettings);
    fleet.spawnWorker(workerSettings);
    await Promise.all(Array.from({ length: JOBS }, (_, job) => untilDeployed(r.fake, newestOf(queued.filter((q) => q.job === job)), 'queued burst')));
    for (let burst = 1; burst <= BURSTS; burst += 1) {
      // Each burst lands while the job's previous push is being deployed (the fake holds the call),
      // so the newest push and the call in flight race for the job across both processes.
      await Promise.all(
        Array.from({ length: JOBS }, async (_, job) => {
          await untilDeployed(r.fake, await push(job), `burst ${burst}`);
          const rest = await Promise.all(Array.from({ length: PUSHES_PER_BURST - 1 }, () => push(job)));
          await untilDeployed(r.fake, newestOf(rest), `burst ${burst}`);
        }),
      );
    }

    let deployments: Deployment[] = [];
    const untilAllTerminal = () =>
      expect
        .poll(
          async () => {
            alive();
            deployments = (await r.relay.history.getDeployments(sent.map((s) => s.id))) as Deployment[];
            return deployments.filter((d) => !TERMINAL_STATUSES.has(d.status)).map((d) => `${d.id}:${d.status}`);
          },
          { timeout: 60_000, interval: 100, message: `deployments still open\n${logs()}` },
        )
        .toEqual([]);
    await untilAllTerminal();
    // Once each job has settled on its newest push, an older push that arrives late must not replace it.
    const late = await Promise.all(Array.from({ length: JOBS }, (_, job) => push(job, true)));
    await untilAllTerminal();

    const byId = new Map(deployments.map((d) => [d.id, d]));
    const figures: string[] = [];
    for (let job = 0; job < JOBS; job += 1) {
      const jobId = jobIdOf(job);
      const lateOne = late[job] as Sent;
      const mine = sent.filter((s) => s.job === job && s !== lateOne);
      const newest = newestOf(mine);
      const calls = r.fake.deployCalls(jobId).map((c) => (c.body as { git_commit_id?: string }).git_commit_id);
      figures.push(`job ${job}: ${calls.length} deploy calls for ${mine.length + 1} pushes, max in flight ${r.fake.maxConcurrentDeploys(jobId)}`);

      expect(r.fake.maxConcurrentDeploys(jobId), `job ${job}: deploy calls overlapped\n${logs()}`).toBeLessThanOrEqual(1);
      expect(calls.at(-1), `job ${job}: the last deploy is not its newest push`).toBe(newest.commit);
      expect(new Set(calls).size, `job ${job}: a push was deployed twice`).toBe(calls.length);
      expect(byId.get(newest.id)?.status, `job ${job}: newest push ${JSON.stringify(byId.get(newest.id)?.transitions)}`).toBe('succeeded');
      for (const s of mine) {
        expect(['succeeded', 'superseded'], `${s.id}: ${JSON.stringify(byId.get(s.id)?.transitions)}`).toContain(byId.get(s.id)?.status);
      }
      // Arriving after a newer push succeeded, it would be a downgrade: ignored, and says how to force it.
      expect(calls, `job ${job}: the late, older push was deployed`).not.toContain(lateOne.commit);
      expect(byId.get(lateOne.id), `job ${job}: the late, older push`).toMatchObject({
        status: 'ignored',
        reason: expect.stringContaining(`older than the last successful deployment ${newest.id}`),
      });
    }
    console.log(`[two-workers] ${sent.length} pushes: one queued burst, ${BURSTS} bursts during deploys, one late push per job; ${figures.join('; ')}`);
  }, 180_000);
});
