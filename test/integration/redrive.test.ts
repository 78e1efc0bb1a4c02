import { afterEach, describe, expect, it } from 'vitest';
import { parseRules } from '../../src/config/rules.js';
import { githubPush } from '../support/payloads.js';
import { API_TOKEN, deploymentWhen, startTestRelay, type TestRelay } from '../support/relay.js';

/** Re-driving a failed deployment and replaying a stored delivery through today's rules, over the HTTP API. */
const JOB = '00000000-0000-4000-8000-0000000000f1';
const SECRET = 'gh-secret-for-tests';
const rules = (routes: string) => `
sources:
  - name: github
    type: github
    secret: ${SECRET}
routes:${routes}
`;
const MAIN = `
  - name: api-main
    source: github
    match: { repository: acme/api, branch: main }
    target: { jobId: ${JOB} }
    deploy: commit`;
const RELEASE = `
  - name: api-release
    source: github
    match: { repository: acme/api, branch: release, paths: ["services/api/**"] }
    target: { jobId: ${JOB} }
    deploy: commit`;

let relay: TestRelay;
afterEach(async () => relay?.close());

async function post(path: string, token: string | null = API_TOKEN): Promise<{ statusCode: number; json: any }> {
  const response = await relay.relay.app!.inject({ method: 'POST', url: path, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { statusCode: response.statusCode, json: response.json() };
}

const commit = (c: string) => c.repeat(40).slice(0, 40);

async function failedDeployment(c: string): Promise<string> {
  relay.fake.scriptStatus(JOB, [{ state: 'DEPLOYING' }, { state: 'DEPLOYMENT_ERROR' }]);
  const push = githubPush({ repository: 'acme/api', branch: 'main', commit: commit(c) });
  const id = (await relay.post('github', push.body, push.headers)).json.deployments[0].id as string;
  await deploymentWhen(relay, id, 'failed');
  relay.fake.scriptStatus(JOB, [{ state: 'DEPLOYING' }, { state: 'DEPLOYED' }]);
  return id;
}

describe('POST /deployments/:id/redeploy', () => {
  it('re-drives a failed deployment: a new deployment of the same commit, with redeployOf, that succeeds', async () => {
    relay = await startTestRelay(rules(MAIN));
    const failed = await failedDeployment('a');
    const answer = await post(`/deployments/${failed}/redeploy`);
    expect(answer.statusCode).toBe(202);
    expect(answer.json).toEqual({
      deliveryId: expect.stringMatching(/^redeploy-/),
      redeployOf: failed,
      deployments: [expect.objectContaining({ route: 'api-main', jobId: JOB, gitCommitId: commit('a') })],
    });
    const again = await deploymentWhen(relay, answer.json.deployments[0].id);
    expect(again.redeployOf).toBe(failed);
    expect(again.transitions[0].detail).toBe(`re-drive of ${failed} (route api-main), asked for over the API`);
    expect(relay.fake.deployments(JOB)).toHaveLength(2);
    // The re-drive is in the history as a delivery of its own.
    const delivery = (await relay.get(`/deliveries/${answer.json.deliveryId}`)).json;
    expect(delivery).toMatchObject({ event: 'redeploy', outcome: 'accepted', redeployOf: failed, deploymentIds: [again.id], sourceType: 'github' });
  });

  it('refuses what is not failed or timed out (409), an unknown id (404) and a missing token (401)', async () => {
    relay = await startTestRelay(rules(MAIN));
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: commit('b') });
    const id = (await relay.post('github', push.body, push.headers)).json.deployments[0].id as string;
    await deploymentWhen(relay, id);
    expect(await post(`/deployments/${id}/redeploy`)).toMatchObject({
      statusCode: 409,
      json: { code: 'RELAY_CONFLICT', message: `deployment "${id}" is succeeded; only a failed or timed-out deployment can be re-driven` },
    });
    expect((await post('/deployments/dep_nope/redeploy')).json).toMatchObject({ code: 'RELAY_NOT_FOUND', message: 'no deployment with id "dep_nope"' });
    expect((await post(`/deployments/${id}/redeploy`, null)).statusCode).toBe(401);
    expect(relay.fake.deployments(JOB)).toHaveLength(1);
  });

  it('a re-drive of a push older than one that succeeded since is not deployed, and its history says why', async () => {
    relay = await startTestRelay(rules(MAIN));
    const failed = await failedDeployment('c');
    const newer = githubPush({ repository: 'acme/api', branch: 'main', commit: commit('d'), timestamp: new Date(Date.now() + 1_000).toISOString() });
    await deploymentWhen(relay, (await relay.post('github', newer.body, newer.headers)).json.deployments[0].id);
    const answer = await post(`/deployments/${failed}/redeploy`);
    const refused = await deploymentWhen(relay, answer.json.deployments[0].id, 'ignored');
    expect(refused.transitions.at(-1).detail).toMatch(/^this push is older than the last successful deployment dep_/);
    expect(relay.fake.deployments(JOB)).toHaveLength(2);
  });
});

describe('POST /deliveries/:id/replay', () => {
  it('a push ignored by the old rules deploys when replayed after the rule is fixed (paths included)', async () => {
    relay = await startTestRelay(rules(MAIN));
    const push = githubPush({ repository: 'acme/api', branch: 'release', commit: commit('e'), files: ['services/api/main.go'] });
    const ignored = await relay.post('github', push.body, push.headers);
    expect(ignored.json.ignored).toMatch(/branch "release" does not match "main"/);
    const deliveryId = push.headers['x-github-delivery'];

    // Before the fix a replay is ignored again, with the same reason, and recorded.
    const early = await post(`/deliveries/${deliveryId}/replay`);
    expect(early).toMatchObject({ statusCode: 202, json: { replayOf: deliveryId, deployments: [], ignored: ignored.json.ignored } });

    relay.relay.rules.replace(parseRules(rules(MAIN + RELEASE), {}));
    const answer = await post(`/deliveries/${deliveryId}/replay`);
    expect(answer.statusCode).toBe(202);
    expect(answer.json).toEqual({
      deliveryId: expect.stringMatching(/^replay-/),
      replayOf: deliveryId,
      deployments: [expect.objectContaining({ route: 'api-release', jobId: JOB, gitCommitId: commit('e') })],
    });
    const deployed = await deploymentWhen(relay, answer.json.deployments[0].id);
    expect(deployed.transitions[0].detail).toBe(`matched route api-release on a replay of delivery ${deliveryId}`);
    const replay = (await relay.get(`/deliveries/${answer.json.deliveryId}`)).json;
    expect(replay).toMatchObject({ replayOf: deliveryId, outcome: 'accepted', event: 'push', source: 'github' });
    expect(replay.read[0]).toMatchObject({ repository: 'acme/api', branch: 'release', paths: ['services/api/main.go'] });
  });

  it('refuses an unknown delivery (404) and one that carried nothing to route (409)', async () => {
    relay = await startTestRelay(rules(MAIN));
    expect((await post('/deliveries/nope/replay')).json).toMatchObject({ code: 'RELAY_NOT_FOUND', message: 'no delivery with id "nope"' });
    const ping = await relay.post('github', { zen: 'hi', hook_id: 1 }, { 'x-github-event': 'ping', 'x-github-delivery': 'ping-1' });
    expect(ping.statusCode).toBe(200);
    expect(await post('/deliveries/ping-1/replay')).toMatchObject({
      statusCode: 409,
      json: { code: 'RELAY_CONFLICT', message: 'delivery "ping-1" carried nothing to route (ping: the webhook reached the relay), so a replay cannot deploy' },
    });
  });
});
