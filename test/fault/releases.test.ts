import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TERMINAL_STATUSES, type Deployment } from '../../src/history/model.js';
import type { FakeQovery } from '../fakes/fake-qovery.js';
import type { TestRelay } from '../support/relay.js';
import { startWorkerFleet, type WorkerFleet } from '../support/relay-process.js';

/**
 * Environment releases under worker faults: a release holds every released service's lock and
 * lane, so a worker killed mid-call, or two workers racing on releases that share services, must
 * still end each release in one final status with at most one release call, and never have two
 * deploys of one service open at once.
 */
const SECRET = 'ci-secret-for-fault-tests';
const uuid = (group: string, n: number) => `00000000-0000-4000-8000-${group}${String(n).padStart(12 - group.length, '0')}`;
const envOf = (n: number) => uuid('e', n);
const jobOf = (n: number) => uuid('a', n);
const appOf = (n: number) => uuid('b', n);
const commitOf = (label: string) => createHash('sha1').update(label).digest('hex');

/** Route n releases environment n: the services `servicesOf(n)` lists, by commit. */
function releaseRules(routes: number, servicesOf: (n: number) => string): string {
  const lines = Array.from(
    { length: routes },
    (_, n) => `
  - name: env-${n}
    source: ci
    match: { repository: acme/env-${n}, branch: main }
    target: { environmentId: ${envOf(n)}, services: [${servicesOf(n)}] }
    deploy: commit`,
  );
  return `
sources:
  - name: ci
    type: generic
    secret: \${CI_WEBHOOK_SECRET}
routes:${lines.join('')}
`;
}

let fleet: WorkerFleet | undefined;
const logs = () => fleet?.logs() ?? '';
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

interface Sent {
  readonly id: string;
  readonly commit: string;
}

async function push(r: TestRelay, route: number, label: string, pushedAtMs: number): Promise<Sent> {
  const commit = commitOf(label);
  const response = await r.post('ci', { repository: `acme/env-${route}`, branch: 'main', commit, pushedAt: new Date(pushedAtMs).toISOString() });
  expect(response.statusCode, JSON.stringify(response.json)).toBe(202);
  return { id: response.json.deployments[0].id as string, commit };
}

/** Release calls per commit: each release deployment carries its own commit. */
function callsPerCommit(fake: FakeQovery): Map<string, number> {
  const calls = new Map<string, number>();
  for (const call of fake.releaseCalls()) {
    const body = call.body as { jobs?: Array<{ git_commit_id?: string }> };
    const commit = body.jobs?.[0]?.git_commit_id ?? '';
    calls.set(commit, (calls.get(commit) ?? 0) + 1);
  }
  return calls;
}

async function untilAllTerminal(r: TestRelay, sent: readonly Sent[], alive: () => void): Promise<Deployment[]> {
  let deployments: Deployment[] = [];
  await expect
    .poll(
      async () => {
        alive();
        deployments = (await r.relay.history.getDeployments(sent.map((s) => s.id))) as Deployment[];
        return deployments.filter((d) => !TERMINAL_STATUSES.has(d.status)).map((d) => `${d.id}:${d.status}`);
      },
      { timeout: 60_000, interval: 100, message: `releases still open\n${logs()}` },
    )
    .toEqual([]);
  return deployments;
}

const countBy = (items: readonly Deployment[]) => items.reduce<Record<string, number>>((c, d) => ({ ...c, [d.status]: (c[d.status] ?? 0) + 1 }), {});

describe('environment releases under worker faults', () => {
  it('a worker killed during release calls loses none of 40 releases and calls none twice', async () => {
    const RELEASES = 40;
    fleet = await startWorkerFleet(
      releaseRules(RELEASES, (n) => `{ jobId: ${jobOf(n)} }, { applicationId: ${appOf(n)} }`),
      { CI_WEBHOOK_SECRET: SECRET },
    );
    const { relay: r } = fleet;
    r.fake.setDeployDelay(40);
    r.fake.scriptStatus('*', [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'DEPLOYING' }, { state: 'DEPLOYED' }]);
    const base = Date.now() - 60_000;
    const sent = [];
    for (let n = 0; n < RELEASES; n += 1) sent.push(await push(r, n, `kill-${n}`, base + n));

    const settings = { RECONCILE_INTERVAL_MS: '3000' };
    const first = fleet.spawnWorker(settings);
    await vi.waitFor(
      () => {
        if (first.child.exitCode !== null) throw new Error(`the first worker exited early:\n${logs()}`);
        expect(r.fake.releaseCalls().length).toBeGreaterThanOrEqual(RELEASES / 3);
      },
      { timeout: 60_000, interval: 5 },
    );
    await first.kill('SIGKILL');
    const callsAtKill = r.fake.releaseCalls().length;
    const second = fleet.spawnWorker(settings);
    const deployments = await untilAllTerminal(r, sent, () => {
      if (second.child.exitCode !== null) throw new Error(`the second worker exited:\n${logs()}`);
    });

    const calls = callsPerCommit(r.fake);
    const perRelease = sent.map((s) => calls.get(s.commit) ?? 0);
    console.log(
      `[releases: worker-kill] killed after ${callsAtKill} release calls; release calls per release: max ${Math.max(...perRelease)}, ` +
        `total ${perRelease.reduce((a, b) => a + b, 0)}/${RELEASES}; final ${JSON.stringify(countBy(deployments))}`,
    );
    expect(
      sent.filter((s) => (calls.get(s.commit) ?? 0) > 1).map((s) => s.id),
      `released twice\n${logs()}`,
    ).toEqual([]);
    for (const d of deployments) expect(d.status, `${d.id}: ${JSON.stringify(d.transitions)}`).toBe('succeeded');
    expect(perRelease.every((c) => c === 1)).toBe(true);
  }, 180_000);

  it('two workers racing on releases that share services keep one deploy per service open and one call per release', async () => {
    const ROUTES = 4;
    // Release n takes jobs n and n+1: neighbours share a service, so their locks and lanes meet.
    fleet = await startWorkerFleet(
      releaseRules(ROUTES, (n) => `{ jobId: ${jobOf(n)} }, { jobId: ${jobOf(n + 1)} }`),
      { CI_WEBHOOK_SECRET: SECRET },
    );
    const { relay: r } = fleet;
    r.fake.setDeployDelay(30);
    r.fake.scriptStatus('*', [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'DEPLOYING', reads: 3 }, { state: 'DEPLOYED' }]);
    const workers = [fleet.spawnWorker(), fleet.spawnWorker()];
    const alive = () => {
      const dead = workers.findIndex((w) => w.child.exitCode !== null);
      if (dead !== -1) throw new Error(`worker ${dead + 1} exited:\n${logs()}`);
    };
    const base = Date.now() - 3_600_000;
    const sent: Sent[] = [];
    let seq = 0;
    for (let burst = 0; burst < 3; burst += 1) {
      const posts = Array.from({ length: ROUTES }, (_, n) => push(r, n, `race-${burst}-${n}`, base + (seq += 1) * 1_000));
      sent.push(...(await Promise.all(posts)));
    }
    const deployments = await untilAllTerminal(r, sent, alive);

    const calls = callsPerCommit(r.fake);
    const maxOpen = Math.max(...Array.from({ length: ROUTES + 1 }, (_, n) => r.fake.maxConcurrentDeploys(jobOf(n))));
    console.log(
      `[releases: two-workers] ${sent.length} releases over ${ROUTES + 1} shared jobs; release calls ${r.fake.releaseCalls().length}; ` +
        `most deploys of one job open at once ${maxOpen}; final ${JSON.stringify(countBy(deployments))}`,
    );
    expect(
      sent.filter((s) => (calls.get(s.commit) ?? 0) > 1).map((s) => s.id),
      `released twice\n${logs()}`,
    ).toEqual([]);
    expect(maxOpen, 'two deploys of one service were open at once').toBeLessThanOrEqual(1);
    // The newest push of the last route shares no newer release: it must have been released.
    const newest = sent.at(-1);
    expect(deployments.find((d) => d.id === newest?.id)?.status).toBe('succeeded');
  }, 180_000);
});
