import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TERMINAL_STATUSES, type Deployment } from '../../src/history/model.js';
import type { FakeAnswer, RecordedRequest, StatusStep } from '../fakes/fake-qovery.js';
import { seededRandom, startFailingGateway, type FailingGateway } from '../fakes/failing-gateway.js';
import type { TestRelay } from '../support/relay.js';
import { startWorkerFleet, type WorkerFleet } from '../support/relay-process.js';
import { routePerJobRules } from '../support/rules.js';

/**
 * At most one accepted deploy call per deployment, and a history that says what happened at
 * Qovery, with an API relay and real worker processes: workers SIGKILLed during deploy calls, a
 * gateway that loses 30% of Qovery's answers after forwarding, and 30% errors and timeouts before
 * and after Qovery acted. Three pushes per job arrive in rounds while earlier ones are in flight,
 * so newest-wins and the recovery of calls in doubt meet on the same jobs.
 */
const SECRET = 'ci-secret-for-fault-tests';
const JOBS = 15;
const ROUNDS = 3;

const jobIdOf = (n: number) => `00000000-0000-4000-8000-${String(n + 601).padStart(12, '0')}`;
const commitOf = (test: string, job: number, round: number) => createHash('sha1').update(`${test}-${job}-${round}`).digest('hex');
const keyOf = (jobId: string, commit: string | undefined) => `${jobId} ${commit}`;
const keyOfCall = (call: RecordedRequest) => keyOf(call.path.split('/')[2] ?? '', (call.body as { git_commit_id?: string }).git_commit_id);

interface Sent {
  readonly id: string;
  readonly key: string;
}

let fleet: WorkerFleet | undefined;
let gateway: FailingGateway | undefined;

afterEach(async () => {
  await fleet?.close();
  await gateway?.close();
  fleet = undefined;
  gateway = undefined;
});

async function startFleet(): Promise<WorkerFleet> {
  fleet = await startWorkerFleet(routePerJobRules(JOBS, jobIdOf), { CI_WEBHOOK_SECRET: SECRET });
  return fleet;
}

async function sendRound(r: TestRelay, test: string, round: number): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let job = 0; job < JOBS; job += 1) {
    const commit = commitOf(test, job, round);
    const response = await r.post('ci', { repository: `acme/svc-${job}`, branch: 'main', commit });
    expect(response.statusCode, JSON.stringify(response.json)).toBe(202);
    sent.push({ id: response.json.deployments[0].id, key: keyOf(jobIdOf(job), commit) });
  }
  return sent;
}

const waitFor = (condition: () => void, timeout = 20_000) => vi.waitFor(condition, { timeout, interval: 5 });

/** How many times each value occurs: deploy calls per deployment, final statuses. */
function countBy(values: Iterable<number | string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/**
 * Waits up to `settleMs` for every deployment to end, then prints one JSON line of counts and checks:
 * nothing lost, at most one accepted deploy call per deployment, every history ends in a terminal
 * status, says `accepted` when Qovery took one of its calls, and says it only then.
 */
async function settleAndCheck(
  test: string,
  f: WorkerFleet,
  sent: readonly Sent[],
  settleMs: number,
  extra: () => Record<string, unknown> = () => ({}),
): Promise<void> {
  const r = f.relay;
  const started = Date.now();
  const load = async () => r.relay.history.getDeployments(sent.map((s) => s.id));
  const open = (all: Array<Deployment | undefined>) => all.filter((d) => d === undefined || !TERMINAL_STATUSES.has(d.status));
  // Counted and printed whether or not everything ended in time; the assertions below say which part failed.
  await waitFor(async () => expect(open(await load())).toEqual([]), settleMs).catch(() => undefined);
  const deployments = await load();

  const calls = new Map(sent.map((s) => [s.key, 0]));
  const accepted = new Map(sent.map((s) => [s.key, 0]));
  for (const call of r.fake.deployCalls()) {
    const key = keyOfCall(call);
    expect(calls.has(key), `a deploy call matches no push: ${key}`).toBe(true);
    calls.set(key, (calls.get(key) ?? 0) + 1);
    if (call.acceptedAs !== undefined) accepted.set(key, (accepted.get(key) ?? 0) + 1);
  }
  const counts = {
    test,
    deployments: sent.length,
    accepted: [...accepted.values()].filter((n) => n > 0).length,
    terminal: deployments.filter((d) => d !== undefined && TERMINAL_STATUSES.has(d.status)).length,
    lost: open(deployments).length,
    deployCallsPerDeployment: countBy(calls.values()),
    acceptedCallsPerDeployment: countBy(accepted.values()),
    final: countBy(deployments.map((d) => d?.status ?? 'missing')),
    settledMs: Date.now() - started,
    ...extra(),
  };
  console.log(JSON.stringify(counts));

  const logs = f.logs();
  expect(counts.lost, `deployments not ended within ${settleMs} ms: ${JSON.stringify(open(deployments).map((d) => d?.transitions))}\n${logs}`).toBe(0);
  expect(
    sent.filter((s) => (accepted.get(s.key) ?? 0) > 1).map((s) => s.id),
    'deployments with more than one accepted deploy call',
  ).toEqual([]);
  sent.forEach((s, i) => {
    const d = deployments[i];
    const statuses = d?.transitions.map((t) => t.status) ?? [];
    const history = `${s.id}: ${JSON.stringify(d?.transitions)}`;
    expect(TERMINAL_STATUSES.has(statuses.at(-1) as Deployment['status']), history).toBe(true);
    if ((accepted.get(s.key) ?? 0) > 0) expect(statuses, `Qovery took a call of ${history}`).toContain('accepted');
    else expect(statuses, `Qovery took no call of ${history}`).not.toContain('accepted');
  });
}

/** What 30% of deploy calls get: failures before Qovery acts, and answers lost after it acted. */
const FAULTS: readonly FakeAnswer[] = [
  { kind: 'error', status: 502, body: 'html' },
  { kind: 'error', status: 503, body: 'empty' },
  { kind: 'error', status: 500 },
  { kind: 'error', status: 409 },
  { kind: 'error', status: 429, retryAfter: '0' },
  { kind: 'hang' },
  { kind: 'accept-then-error', status: 502, body: 'html' },
  { kind: 'accept-then-error', status: 504, body: 'empty' },
  { kind: 'accept-then-reset' },
  { kind: 'accept-late', answerAfterMs: 1_500 },
];

function faultyAnswers(seed: number, count: number, share: number): FakeAnswer[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => (random() < share ? (FAULTS[Math.floor(random() * FAULTS.length)] as FakeAnswer) : { kind: 'accept' }));
}

describe('one accepted deploy call per deployment, under faults', () => {
  it('a worker SIGKILLed during deploy calls: none lost, none deployed twice, every call Qovery took recorded accepted', async () => {
    const f = await startFleet();
    const r = f.relay;
    // Calls long enough that the kill catches several in flight, which Qovery then completes.
    r.fake.setDeployDelay(150);
    // As with the defaults (25 s and 30 s), the job lock (QOVERY_REQUEST_TIMEOUT_MS + 10 s) lapses
    // before BullMQ hands the dead worker's jobs to another (WORKER_LOCK_MS): the newer pushes of
    // those jobs find the lock free while the calls Qovery took are still unrecorded.
    const settings = { QOVERY_REQUEST_TIMEOUT_MS: '1000', WORKER_LOCK_MS: '12000', RECONCILE_INTERVAL_MS: '3000' };
    const first = f.spawnWorker(settings);
    const sent = await sendRound(r, 'kill', 0);
    await waitFor(() => {
      if (first.child.exitCode !== null) throw new Error(`the worker exited early:\n${f.logs()}`);
      expect(r.fake.openDeploys()).toBeGreaterThanOrEqual(3);
    });
    const inFlightAtKill = r.fake.openDeploys();
    await first.kill('SIGKILL');
    f.spawnWorker(settings);
    for (let round = 1; round < ROUNDS; round += 1) sent.push(...(await sendRound(r, 'kill', round)));
    // BullMQ moves a dead worker's job back after two stalled checks, up to 3 * WORKER_LOCK_MS after the kill.
    await settleAndCheck('worker-kill', f, sent, 45_000, () => ({ deployCallsInFlightAtKill: inFlightAtKill }));
  }, 90_000);

  it('a gateway that answers 502 after forwarding, for 30% of answers: none lost, none deployed twice', async () => {
    const f = await startFleet();
    const r = f.relay;
    gateway = await startFailingGateway({ target: r.fake.url, share: 0.3, seed: 20261203 });
    const settings = { QOVERY_API_URL: gateway.url };
    f.spawnWorker(settings);
    f.spawnWorker(settings);
    const sent: Sent[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      sent.push(...(await sendRound(r, 'gateway', round)));
      if (round < ROUNDS - 1) await waitFor(() => expect(r.fake.deployCalls().length).toBeGreaterThanOrEqual(Math.ceil(((round + 1) * JOBS) / 2)));
    }
    const g = gateway;
    await settleAndCheck('gateway-502-after-forwarding', f, sent, 30_000, () => ({ gateway: g.stats() }));
  }, 90_000);

  it('30% errors and timeouts, before and after Qovery acted, and failing status reads: none lost, none deployed twice', async () => {
    const f = await startFleet();
    const r = f.relay;
    r.fake.scriptDeploy('*', faultyAnswers(7, 400, 0.3));
    const walk: StatusStep[] = [{ state: 'DEPLOYMENT_QUEUED' }, { error: 502 }, { state: 'DEPLOYING' }, { error: 503 }, { state: 'DEPLOYED' }];
    r.fake.scriptStatus('*', walk);
    const settings = { QOVERY_REQUEST_TIMEOUT_MS: '500' };
    f.spawnWorker(settings);
    f.spawnWorker(settings);
    const sent: Sent[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      sent.push(...(await sendRound(r, 'faults', round)));
      if (round < ROUNDS - 1) await waitFor(() => expect(r.fake.deployCalls().length).toBeGreaterThanOrEqual(Math.ceil(((round + 1) * JOBS) / 2)));
    }
    await settleAndCheck('errors-and-timeouts-30pct', f, sent, 30_000);
  }, 90_000);
});
