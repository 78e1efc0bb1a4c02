import { afterEach, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../support/relay.js';
import { dockerHubPush, githubPush } from '../support/payloads.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const HUB_JOB = '00000000-0000-4000-8000-000000000002';
const ROLLBACK_JOB = '00000000-0000-4000-8000-000000000003';
const RULES = `
sources:
  - name: github
    type: github
    secret: gh-secret-for-tests
  - name: hub
    type: dockerhub
    token: hub-token-for-tests-0123
routes:
  - name: api-main
    source: github
    match: { repository: acme/api, branch: main }
    target: { jobId: ${JOB} }
    deploy: commit
  - name: worker
    source: hub
    match: { image: acme/worker }
    target: { jobId: ${HUB_JOB} }
    deploy: tag
  - name: rollbackable
    source: hub
    match: { image: acme/rollback }
    target: { jobId: ${ROLLBACK_JOB} }
    deploy: tag
    allowDowngrade: true
`;

let relay: TestRelay;
afterEach(async () => relay?.close());

const sha = (n: number) => n.toString(16).padStart(40, 'c');

async function pushCommit(n: number, timestamp?: string): Promise<string> {
  const push = githubPush({ repository: 'acme/api', branch: 'main', commit: sha(n), ...(timestamp && { timestamp }) });
  const response = await relay.post('github', push.body, push.headers);
  expect(response.statusCode).toBe(202);
  return response.json.deployments[0].id;
}

async function until(id: string, predicate: (d: any) => boolean, timeout = 15_000): Promise<any> {
  let deployment: any;
  await expect.poll(async () => predicate((deployment = (await relay.get(`/deployments/${id}`)).json)), { timeout }).toBe(true);
  return deployment;
}
const ended = (d: any) => ['succeeded', 'failed', 'superseded', 'timed_out', 'ignored'].includes(d.status);

describe('following a deployment to its Qovery ending', () => {
  it('ends failed on DEPLOYMENT_ERROR, with every Qovery state recorded', async () => {
    relay = await startTestRelay(RULES);
    relay.fake.scriptStatus(JOB, [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'BUILDING' }, { state: 'DEPLOYING' }, { state: 'DEPLOYMENT_ERROR' }]);
    const deployment = await until(await pushCommit(1), ended);
    expect(deployment.status).toBe('failed');
    expect(deployment.qoveryState).toBe('DEPLOYMENT_ERROR');
    expect(deployment.deploymentRequestId).toEqual(expect.any(String));
    expect(deployment.transitions.map((t: any) => t.qoveryState).filter(Boolean)).toEqual(
      expect.arrayContaining(['BUILDING', 'DEPLOYING', 'DEPLOYMENT_ERROR']),
    );
    expect(deployment.transitions.at(-1)).toMatchObject({ status: 'failed', status_details: expect.objectContaining({ action: 'DEPLOY' }) });
  });

  it('ends timed_out when Qovery stays DEPLOYING past QOVERY_DEPLOY_TIMEOUT_MS', async () => {
    relay = await startTestRelay(RULES, { QOVERY_DEPLOY_TIMEOUT_MS: 1_000 });
    relay.fake.scriptStatus(JOB, [{ state: 'DEPLOYING', reads: 100_000 }]);
    const deployment = await until(await pushCommit(2), ended);
    expect(deployment.status).toBe('timed_out');
    expect(deployment.reason).toContain('last state DEPLOYING');
  });

  it("does not take a stale first read of the previous deployment's end as this one's", async () => {
    relay = await startTestRelay(RULES);
    await until(await pushCommit(3), (d) => d.status === 'succeeded');
    relay.fake.scriptStatus(JOB, [{ stale: true, reads: 3 }, { state: 'DEPLOYING' }, { state: 'DEPLOYMENT_ERROR' }]);
    const deployment = await until(await pushCommit(4), ended);
    expect(deployment.status).toBe('failed');
  });

  it('records an unknown Qovery state and keeps following', async () => {
    relay = await startTestRelay(RULES);
    relay.fake.scriptStatus(JOB, [{ state: 'TELEPORTING_NEW', reads: 2 }, { state: 'DEPLOYED' }]);
    const deployment = await until(await pushCommit(5), ended);
    expect(deployment.status).toBe('succeeded');
    expect(deployment.transitions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 'in_progress', qoveryState: 'TELEPORTING_NEW', detail: expect.stringContaining('does not know') }),
      ]),
    );
  });
});

describe('newest wins per Qovery job', () => {
  it('a burst of 50 pushes for one job deploys the newest and supersedes the rest', async () => {
    relay = await startTestRelay(RULES);
    relay.fake.setDeployDelay(150);
    const base = Date.parse('2026-11-20T10:00:00Z');
    // Sent in shuffled order: the newest is the latest push time, not the last arrival.
    const order = Array.from({ length: 50 }, (_, i) => i).sort((a, b) => ((a * 37) % 50) - ((b * 37) % 50));
    const ids = new Map<number, string>();
    await Promise.all(order.map(async (i) => ids.set(i, await pushCommit(100 + i, new Date(base + i * 1000).toISOString()))));
    const all = await Promise.all([...ids.values()].map((id) => until(id, ended, 30_000)));

    const calls = relay.fake.deployCalls(JOB);
    expect(relay.fake.maxConcurrentDeploys(JOB)).toBe(1);
    expect(calls.at(-1)?.body).toEqual({ git_commit_id: sha(149) });
    const newest = all.find((d) => d.gitCommitId === sha(149));
    expect(newest.status).toBe('succeeded');
    const superseded = all.filter((d) => d.status === 'superseded');
    expect(superseded.length).toBeGreaterThanOrEqual(50 - calls.length);
    for (const d of superseded) expect(d.supersededBy).toEqual(expect.stringMatching(/^dep_/));
    expect(all.every(ended)).toBe(true);
    console.log(`burst of 50: ${calls.length} deploy calls, ${superseded.length} superseded`);
  });
});

describe('never downgrade', () => {
  it('refuses an older semver tag after a newer one succeeded, unless the route allows downgrades', async () => {
    relay = await startTestRelay(RULES);
    const now = Math.floor(Date.now() / 1000);
    const first = await relay.post('hub', dockerHubPush({ repository: 'acme/worker', tag: 'v2.1.0', pushedAt: now - 10 }));
    await until(first.json.deployments[0].id, (d) => d.status === 'succeeded');
    const older = await relay.post('hub', dockerHubPush({ repository: 'acme/worker', tag: 'v1.9.3', pushedAt: now }));
    const refused = await until(older.json.deployments[0].id, ended);
    expect(refused.status).toBe('ignored');
    expect(refused.reason).toMatch(/v1\.9\.3 is lower than v2\.1\.0/);
    expect(relay.fake.deployCalls(HUB_JOB)).toHaveLength(1);

    const up = await relay.post('hub', dockerHubPush({ repository: 'acme/rollback', tag: '3.0.0', pushedAt: now - 10 }));
    await until(up.json.deployments[0].id, (d) => d.status === 'succeeded');
    const rollback = await relay.post('hub', dockerHubPush({ repository: 'acme/rollback', tag: '2.9.0', pushedAt: now }));
    expect((await until(rollback.json.deployments[0].id, ended)).status).toBe('succeeded');
  });

  it('refuses a push older than the last successful one', async () => {
    relay = await startTestRelay(RULES);
    await until(await pushCommit(6, '2026-11-20T12:00:00Z'), (d) => d.status === 'succeeded');
    const late = await until(await pushCommit(7, '2026-11-20T11:00:00Z'), ended);
    expect(late.status).toBe('ignored');
    expect(late.reason).toContain('older than the last successful deployment');
  });
});
