import { afterEach, describe, expect, it } from 'vitest';
import { dockerHubPush, githubPush } from '../support/payloads.js';
import { deploymentWhen, startTestRelay, type TestRelay } from '../support/relay.js';

const APP = '00000000-0000-4000-8000-0000000000a1';
const CONTAINER = '00000000-0000-4000-8000-0000000000c1';
const CHART = '00000000-0000-4000-8000-0000000000e1';
const HELM_GIT = '00000000-0000-4000-8000-0000000000e2';
const MOVING = '00000000-0000-4000-8000-0000000000c2';
const QUEUED = '00000000-0000-4000-8000-0000000000c3';

const RULES = `
sources:
  - name: github
    type: github
    secret: gh-secret-for-tests
  - name: hub
    type: dockerhub
    token: hub-token-for-tests-0123
  - name: harbor
    type: harbor
    header: { value: "Bearer harbor-token-for-tests" }
routes:
  - name: web
    source: github
    match: { repository: acme/web, branch: main }
    target: { applicationId: ${APP} }
    deploy: commit
  - name: worker-image
    source: hub
    match: { image: acme/worker }
    target: { containerId: ${CONTAINER} }
    deploy: tag
  - name: chart
    source: harbor
    match: { image: "harbor.example.com/charts/api" }
    target: { helmId: ${CHART} }
    deploy: tag
  - name: web-image
    source: harbor
    match: { image: "harbor.example.com/apps/web" }
    target: { containerId: ${MOVING} }
    deploy: tag
  - name: queued-image
    source: hub
    match: { image: acme/queued }
    target: { containerId: ${QUEUED} }
    deploy: tag
    cancelSuperseded: true
  - name: chart-from-git
    source: github
    match: { repository: acme/charts, branch: main }
    target: { helmId: ${HELM_GIT} }
    deploy: commit
`;

/** Harbor's Default payload for an artifact pushed with a tag (a Helm chart's tag is its version). */
function harborPush(repository: string, tag: string, digest = `sha256:${'c'.repeat(64)}`, occurAt = Math.floor(Date.now() / 1000)) {
  const [namespace, name] = repository.split('/');
  return {
    type: 'PUSH_ARTIFACT',
    occur_at: occurAt,
    operator: 'robot$ci',
    event_data: {
      resources: [{ digest, tag, resource_url: `harbor.example.com/${repository}:${tag}` }],
      repository: { name, namespace, repo_full_name: repository, repo_type: 'private' },
    },
  };
}
const harborChartPush = (version: string) => harborPush('charts/api', version);
const HARBOR_AUTH = { authorization: 'Bearer harbor-token-for-tests' };

let relay: TestRelay;
afterEach(async () => relay?.close());

const finalDeployment = (id: string, status?: string) => deploymentWhen(relay, id, status);

describe('every Qovery service kind is a target', () => {
  it('a GitHub push deploys an application by commit and follows it through its environment, learned once from the application', async () => {
    relay = await startTestRelay(RULES);
    const environment = '00000000-0000-4000-8000-0000000000e9';
    relay.fake.placeService('application', APP, environment);
    const commit = 'a'.repeat(40);
    const push = githubPush({ repository: 'acme/web', branch: 'main', commit });
    const response = await relay.post('github', push.body, push.headers);
    expect(response.statusCode).toBe(202);
    const [summary] = response.json.deployments;
    expect(summary).toEqual({ id: expect.any(String), route: 'web', target: { kind: 'application', id: APP }, gitCommitId: commit });

    const deployment = await finalDeployment(summary.id);
    expect(deployment.target).toEqual({ kind: 'application', id: APP });
    expect(deployment).not.toHaveProperty('jobId');
    expect(deployment.transitions.map((t: any) => t.status)).toEqual(expect.arrayContaining(['queued', 'deploying', 'accepted', 'succeeded']));
    expect(relay.fake.deployCalls(APP).map((c) => [c.path, c.body])).toEqual([[`/application/${APP}/deploy`, { git_commit_id: commit }]]);
    expect(relay.fake.lookupCalls().map((c) => c.path)).toEqual([`/application/${APP}`]);
    expect(relay.fake.statusCalls(APP).every((c) => c.path === `/environment/${environment}/statuses`)).toBe(true);
    expect(relay.fake.statusCalls(APP).length).toBeGreaterThan(0);
  });

  it('a Docker Hub push deploys a container by image tag, and the never-downgrade guard holds for it', async () => {
    relay = await startTestRelay(RULES);
    const first = await relay.post('hub', dockerHubPush({ repository: 'acme/worker', tag: '2.1.0' }));
    expect(first.statusCode).toBe(202);
    await finalDeployment(first.json.deployments[0].id);
    expect(relay.fake.deployCalls(CONTAINER).map((c) => [c.path, c.body])).toEqual([[`/container/${CONTAINER}/deploy`, { image_tag: '2.1.0' }]]);

    const older = await relay.post('hub', dockerHubPush({ repository: 'acme/worker', tag: '2.0.9' }));
    const refused = await finalDeployment(older.json.deployments[0].id, 'ignored');
    expect(refused.reason).toMatch(/2\.0\.9.*2\.1\.0|lower/);
    expect(relay.fake.deployCalls(CONTAINER)).toHaveLength(1);
  });

  it('a chart pushed to Harbor deploys a helm service at that chart version; a GitHub push deploys one by commit', async () => {
    relay = await startTestRelay(RULES);
    const chart = await relay.post('harbor', harborChartPush('1.4.2'), HARBOR_AUTH);
    expect(chart.statusCode).toBe(202);
    expect(chart.json.deployments[0]).toMatchObject({ route: 'chart', target: { kind: 'helm', id: CHART }, imageTag: '1.4.2' });
    await finalDeployment(chart.json.deployments[0].id);
    expect(relay.fake.deployCalls(CHART).map((c) => [c.path, c.body])).toEqual([[`/helm/${CHART}/deploy`, { chart_version: '1.4.2' }]]);

    const push = githubPush({ repository: 'acme/charts', branch: 'main', commit: 'b'.repeat(40) });
    const git = await relay.post('github', push.body, push.headers);
    await finalDeployment(git.json.deployments[0].id);
    expect(relay.fake.deployCalls(HELM_GIT)[0]?.body).toEqual({ git_commit_id: 'b'.repeat(40) });
  });

  it('a moving tag pushed again deploys again when its digest changed, and is ignored as unchanged when it did not', async () => {
    relay = await startTestRelay(RULES);
    const [a, b] = [`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`];
    const now = Math.floor(Date.now() / 1000);
    const first = await relay.post('harbor', harborPush('apps/web', 'main', a, now - 20), HARBOR_AUTH);
    expect((await finalDeployment(first.json.deployments[0].id)).imageDigest).toBe(a);
    const moved = await relay.post('harbor', harborPush('apps/web', 'main', b, now - 10), HARBOR_AUTH);
    await finalDeployment(moved.json.deployments[0].id);
    const again = await relay.post('harbor', harborPush('apps/web', 'main', b, now), HARBOR_AUTH);
    const unchanged = await finalDeployment(again.json.deployments[0].id, 'ignored');
    expect(unchanged.reason).toMatch(/^unchanged: tag main at sha256:b{64} is what the last successful deployment dep_\w+ deployed$/);
    expect(relay.fake.deployCalls(MOVING).map((c) => c.body)).toEqual([{ image_tag: 'main' }, { image_tag: 'main' }]);
  });

  it('cancelSuperseded: a deployment Qovery still has queued is cancelled there when a newer one supersedes it', async () => {
    relay = await startTestRelay(RULES);
    // The first stays queued at Qovery (a minute of 30 ms polls), so it is still waiting when the second arrives.
    relay.fake.scriptStatus(QUEUED, [{ state: 'DEPLOYMENT_QUEUED', reads: 2_000 }, { state: 'DEPLOYING' }, { state: 'DEPLOYED' }]);
    const first = (await relay.post('hub', dockerHubPush({ repository: 'acme/queued', tag: '1.0.0' }))).json.deployments[0].id;
    await expect.poll(async () => (await relay.get(`/deployments/${first}`)).json.status, { timeout: 10_000 }).toMatch(/accepted|in_progress/);
    relay.fake.scriptStatus(QUEUED, [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'DEPLOYING' }, { state: 'DEPLOYED' }]);
    const second = (await relay.post('hub', dockerHubPush({ repository: 'acme/queued', tag: '1.0.1' }))).json.deployments[0].id;

    const cancelled = await finalDeployment(first, 'superseded');
    const [firstRequest] = relay.fake.deployments(QUEUED);
    expect(relay.fake.cancelCalls().map((c) => c.path)).toEqual([`/deploymentQueue/${firstRequest}/cancelDeployment`]);
    expect(cancelled).toMatchObject({
      supersededBy: second,
      reason: expect.stringMatching(/^cancelled at Qovery \(deployment request [0-9a-f-]+\) while still queued there/),
    });
    expect(cancelled.transitions.at(-1)).toMatchObject({ status: 'superseded', httpStatus: 202 });
    await finalDeployment(second);
  });

  it('cancelSuperseded: a deployment Qovery has begun is not cancelled, and the history says why', async () => {
    relay = await startTestRelay(RULES);
    // Deploying for a minute of 30 ms polls, so the first is still running when the second reaches Qovery.
    relay.fake.scriptStatus(QUEUED, [{ state: 'DEPLOYING', reads: 2_000 }, { state: 'DEPLOYED' }]);
    const first = (await relay.post('hub', dockerHubPush({ repository: 'acme/queued', tag: '2.0.0' }))).json.deployments[0].id;
    await expect.poll(async () => (await relay.get(`/deployments/${first}`)).json.qoveryState, { timeout: 10_000 }).toBe('DEPLOYING');
    relay.fake.scriptStatus(QUEUED, [{ state: 'DEPLOYING' }, { state: 'DEPLOYED' }]);
    await relay.post('hub', dockerHubPush({ repository: 'acme/queued', tag: '2.0.1' }));
    const superseded = await finalDeployment(first, 'superseded');
    expect(relay.fake.cancelCalls()).toEqual([]);
    expect(superseded.transitions.map((t: any) => t.detail)).toContainEqual(
      expect.stringMatching(/^not cancelled at Qovery although dep_\w+ supersedes it: Qovery had begun it \(DEPLOYING\)$/),
    );
  });

  it('GET /deployments filters by targetKind and targetId', async () => {
    relay = await startTestRelay(RULES);
    const push = githubPush({ repository: 'acme/web', branch: 'main', commit: 'c'.repeat(40) });
    const app = (await relay.post('github', push.body, push.headers)).json.deployments[0].id;
    const container = (await relay.post('hub', dockerHubPush({ repository: 'acme/worker', tag: '3.0.0' }))).json.deployments[0].id;
    const ids = async (query: string) => ((await relay.get(`/deployments?${query}`)).json.deployments as any[]).map((d) => d.id);
    expect(await ids('targetKind=application')).toEqual([app]);
    expect(await ids(`targetKind=container&targetId=${CONTAINER}`)).toEqual([container]);
    expect(await ids(`targetId=${CONTAINER}&targetKind=application`)).toEqual([]);
    expect(await ids(`jobId=${CONTAINER}`)).toEqual([]);
    expect((await relay.get('/deployments?targetKind=database')).statusCode).toBe(400);
  });
});
