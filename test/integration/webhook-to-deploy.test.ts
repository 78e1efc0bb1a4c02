import { afterEach, describe, expect, it } from 'vitest';
import { deploymentWhen, startTestRelay, type TestRelay } from '../support/relay.js';
import { githubPush, githubTagPush, dockerHubPush } from '../support/payloads.js';

const JOB_API = '00000000-0000-4000-8000-000000000001';
const JOB_WORKER = '00000000-0000-4000-8000-000000000002';
const JOB_TAGS = '00000000-0000-4000-8000-000000000003';

const RULES = `
sources:
  - name: github
    type: github
    secret: \${GITHUB_WEBHOOK_SECRET}
  - name: hub
    type: dockerhub
    token: \${DOCKERHUB_WEBHOOK_TOKEN}
routes:
  - name: api-main
    source: github
    match: { repository: acme/api, branch: main }
    target: { jobId: ${JOB_API} }
    deploy: commit
  - name: api-release
    source: github
    match: { repository: acme/api, tag: "v*" }
    target: { jobId: ${JOB_TAGS} }
    deploy: tag
  - name: worker-release
    source: hub
    match: { image: acme/worker, tag: "v*" }
    target: { jobId: ${JOB_WORKER} }
    deploy: tag
`;
const ENV = { GITHUB_WEBHOOK_SECRET: 'gh-secret-for-tests', DOCKERHUB_WEBHOOK_TOKEN: 'hub-token-for-tests-0123' };

let relay: TestRelay;
afterEach(async () => relay?.close());

const finalDeployment = (id: string, status?: string) => deploymentWhen(relay, id, status);

describe('a webhook becomes a Qovery deploy', () => {
  it('a signed GitHub push to main deploys its head commit and follows it to success', async () => {
    relay = await startTestRelay(RULES, {}, ENV);
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: 'a'.repeat(40) });
    const response = await relay.post('github', push.body, push.headers);
    expect(response.statusCode).toBe(202);
    expect(response.json).toMatchObject({
      deliveryId: push.headers['x-github-delivery'],
      deployments: [{ route: 'api-main', jobId: JOB_API, gitCommitId: 'a'.repeat(40) }],
    });

    const deployment = await finalDeployment(response.json.deployments[0].id, 'succeeded');
    const calls = relay.fake.deployCalls(JOB_API);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body).toEqual({ git_commit_id: 'a'.repeat(40) });
    expect(calls[0]?.headers.authorization).toBe('Token qov_test_token');
    expect(deployment.transitions.map((t: any) => t.status)).toEqual(expect.arrayContaining(['queued', 'deploying', 'accepted', 'succeeded']));
    expect(deployment).toMatchObject({ attempts: 1, source: 'github', route: 'api-main', qoveryState: 'DEPLOYED' });
  });

  it('a tag push on a route with deploy: tag deploys the tag name as image_tag', async () => {
    relay = await startTestRelay(RULES, {}, ENV);
    const push = githubTagPush({ repository: 'acme/api', tag: 'v1.4.0', commit: 'b'.repeat(40) });
    const response = await relay.post('github', push.body, push.headers);
    expect(response.statusCode).toBe(202);
    expect(response.json.deployments).toEqual([expect.objectContaining({ route: 'api-release', imageTag: 'v1.4.0' })]);
    await finalDeployment(response.json.deployments[0].id, 'succeeded');
    expect(relay.fake.deployCalls(JOB_TAGS)[0]?.body).toEqual({ image_tag: 'v1.4.0' });
  });

  it('a Docker Hub push with the right token deploys the tag; a wrong token is refused', async () => {
    relay = await startTestRelay(RULES, {}, ENV);
    const push = dockerHubPush({ repository: 'acme/worker', tag: 'v2.0.1' });
    const wrong = await relay.post('hub', push, {}, { pathToken: 'not-the-token-at-all' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json.code).toBe('RELAY_SIGNATURE_INVALID');

    const right = await relay.post('hub', push);
    expect(right.statusCode).toBe(202);
    expect(right.json.deployments).toEqual([expect.objectContaining({ route: 'worker-release', jobId: JOB_WORKER, imageTag: 'v2.0.1' })]);
    await finalDeployment(right.json.deployments[0].id, 'succeeded');
    expect(relay.fake.deployCalls(JOB_WORKER).map((c) => c.body)).toEqual([{ image_tag: 'v2.0.1' }]);
  });
});
