import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createHistory, type History } from '../../src/history/history.js';
import type { DeploymentState } from '../../src/history/model.js';
import { createBudgetedQovery, type BudgetedQovery } from '../../src/qovery/budgeted.js';
import { createQoveryClient } from '../../src/qovery/client.js';
import { createQoveryBudget } from '../../src/qovery/rate-limit.js';
import { relayKeys } from '../../src/redis/keys.js';
import { createJobCoordination } from '../../src/worker/coordination.js';
import { createDeployPhase, type DeployPhase } from '../../src/worker/deploy-phase.js';
import { startFakeQovery, type FakeAnswer, type FakeQovery } from '../fakes/fake-qovery.js';
import { DEFAULT_RETENTION, deleteKeys, QOVERY_TOKEN } from '../support/relay.js';

/**
 * A deploy call whose outcome the relay does not know (its worker died during it, it timed out, a
 * proxy answered 5xx or the connection reset after Qovery took it), while a newer push for the same
 * job waits. The deploy phase is driven step by step against real Redis and the fake Qovery, so the
 * order of the two deployments' steps is the test's, not the scheduler's.
 */
const JOB = '00000000-0000-4000-8000-000000000501';
const TIMEOUT_MS = 300;

let redis: Redis;
let prefix: string;
let fake: FakeQovery;
let history: History;
let qovery: BudgetedQovery;
let phase: DeployPhase;

beforeEach(async () => {
  redis = new Redis(inject('redisUrl'));
  prefix = `t${randomUUID().slice(0, 8)}`;
  fake = await startFakeQovery({ token: QOVERY_TOKEN });
  const keys = relayKeys(prefix);
  history = createHistory({ redis, keys, retention: DEFAULT_RETENTION, eventsMaxLen: 1_000 });
  qovery = createBudgetedQovery(
    createQoveryClient({ baseUrl: fake.url, token: QOVERY_TOKEN, timeoutMs: TIMEOUT_MS }),
    createQoveryBudget({ redis, key: keys.qoveryBudget, perHour: 10_000_000 }),
  );
  phase = phaseWith(qovery);
});

afterEach(async () => {
  await fake.close();
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

function phaseWith(budgeted: BudgetedQovery): DeployPhase {
  return createDeployPhase({
    history,
    coordination: createJobCoordination({ redis, keys: relayKeys(prefix) }),
    qovery: budgeted,
    policy: { maxAttempts: 4, backoff: { baseMs: 10, maxMs: 50 }, lockTtlMs: 10_000 },
    random: () => 0.5,
  });
}

/** Stores a push for the job as intake does; `ageMs` back-dates it so pushes have a clear order. */
async function store(commit: string, ageMs: number): Promise<string> {
  const id = randomUUID();
  const receivedAt = new Date(Date.now() - ageMs).toISOString();
  await history.recordDelivery(
    { id: randomUUID(), source: 'ci', sourceType: 'generic', event: 'push', outcome: 'accepted', receivedAt, read: [], deploymentIds: [id] },
    [{ id, route: 'api-main', target: { kind: 'job', id: JOB }, gitCommitId: commit, allowDowngrade: false }],
  );
  return id;
}

async function state(id: string): Promise<DeploymentState> {
  const d = await history.getDeploymentState(id);
  if (!d) throw new Error(`deployment ${id} is not stored`);
  return d;
}

const runOnce = async (id: string) => phase.run(await state(id));

/** Accepted deploy calls at the fake, by commit. */
function acceptedByCommit(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of fake.deployCalls(JOB).filter((c) => c.acceptedAs !== undefined)) {
    const commit = (call.body as { git_commit_id: string }).git_commit_id;
    counts[commit] = (counts[commit] ?? 0) + 1;
  }
  return counts;
}

/** A worker that dies right after its deploy call left: the call reaches Qovery, its answer is never read. */
function dyingWorker(): BudgetedQovery {
  return {
    async permit() {
      const permit = await qovery.permit();
      if (!permit.granted) return permit;
      return {
        ...permit,
        deploy: async (request) => {
          await permit.deploy(request);
          throw new Error('worker killed');
        },
      };
    },
  };
}

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);

const lostAnswers: Array<[string, FakeAnswer]> = [
  ['timed out', { kind: 'accept-late', answerAfterMs: TIMEOUT_MS * 3 }],
  ['was answered 502 by a proxy after Qovery took it', { kind: 'accept-then-error', status: 502, body: 'html' }],
  ['was answered 503 by a proxy after Qovery took it', { kind: 'accept-then-error', status: 503, body: 'empty' }],
  ['lost its connection after Qovery took it', { kind: 'accept-then-reset' }],
];

describe('a deploy call whose outcome is unknown, with a newer push waiting for the job', () => {
  it.each(lostAnswers)('a call that %s is recorded accepted, and the newer push calls only after that', async (_, answer) => {
    fake.scriptDeploy(JOB, [answer]);
    const older = await store(OLD, 1_000);
    await runOnce(older);
    expect(await state(older)).toMatchObject({ status: 'retrying', uncertain: true });

    const newer = await store(NEW, 0);
    await runOnce(newer);
    await runOnce(older);
    await runOnce(newer);

    const [olderDone, newerDone] = [await history.getDeployment(older), await history.getDeployment(newer)];
    expect(olderDone?.transitions.map((t) => t.status)).toContain('accepted');
    expect(olderDone?.status, JSON.stringify(olderDone?.transitions)).toBe('accepted');
    expect(olderDone?.deploymentRequestId).toBe(fake.deployments(JOB)[0]);
    expect(newerDone?.status).toBe('accepted');
    expect(acceptedByCommit()).toEqual({ [OLD]: 1, [NEW]: 1 });
  });

  it('a worker killed during its deploy call: the call Qovery took is recorded accepted, not superseded by the newer push', async () => {
    const older = await store(OLD, 1_000);
    await expect(phaseWith(dyingWorker()).run(await state(older))).rejects.toThrow('worker killed');
    expect((await state(older)).status).toBe('deploying');

    const newer = await store(NEW, 0);
    // The newer push finds the lock free (the dead worker's has lapsed) while the older call is unresolved.
    await runOnce(newer);
    await runOnce(older);
    await runOnce(newer);

    const olderDone = await history.getDeployment(older);
    expect(olderDone?.transitions.map((t) => t.status)).toContain('accepted');
    expect(olderDone?.status, JSON.stringify(olderDone?.transitions)).toBe('accepted');
    expect(olderDone?.transitions.at(-1)?.detail).toMatch(/already has this deploy/);
    expect((await state(newer)).status).toBe('accepted');
    expect(acceptedByCommit()).toEqual({ [OLD]: 1, [NEW]: 1 });
  });

  it('the newer push waits without calling while the older call is unresolved', async () => {
    fake.scriptDeploy(JOB, [{ kind: 'accept-then-error', status: 502 }]);
    const older = await store(OLD, 1_000);
    await runOnce(older);
    const newer = await store(NEW, 0);

    expect(await runOnce(newer)).toMatchObject({ kind: 'later' });
    expect(await runOnce(newer)).toMatchObject({ kind: 'later' });

    expect(fake.deployCalls(JOB)).toHaveLength(1);
    expect((await state(newer)).status).toBe('queued');
  });

  it('a call refused by Qovery (409) leaves nothing in doubt: the newer push calls at once, and the older one is superseded', async () => {
    fake.scriptDeploy(JOB, [{ kind: 'error', status: 409 }]);
    const older = await store(OLD, 1_000);
    await runOnce(older);
    expect(await state(older)).toMatchObject({ status: 'retrying', uncertain: false });

    const newer = await store(NEW, 0);
    await runOnce(newer);
    await runOnce(older);

    expect(fake.statusCalls(JOB)).toHaveLength(0);
    expect((await state(newer)).status).toBe('accepted');
    expect((await state(older)).status).toBe('superseded');
    expect(acceptedByCommit()).toEqual({ [NEW]: 1 });
  });
});
