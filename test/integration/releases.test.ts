import { afterEach, describe, expect, it } from 'vitest';
import { dockerHubPush } from '../support/payloads.js';
import { parseRules } from '../../src/config/rules.js';
import { deploymentWhen, startTestRelay, type TestRelay } from '../support/relay.js';

const ENV = '00000000-0000-4000-8000-00000000e001';
const API = '00000000-0000-4000-8000-0000000000c1';
const WORKER = '00000000-0000-4000-8000-0000000000c2';
const MIGRATE = '00000000-0000-4000-8000-000000000001';

const RULES = `
sources:
  - name: hub
    type: dockerhub
    token: hub-token-for-tests-0123
routes:
  - name: platform
    source: hub
    match: { image: acme/platform }
    target:
      environmentId: ${ENV}
      services: [{ containerId: ${API} }, { containerId: ${WORKER} }, { jobId: ${MIGRATE} }]
    deploy: tag
  - name: api-only
    source: hub
    match: { image: acme/api }
    target: { containerId: ${API} }
    deploy: tag
`;

let relay: TestRelay;
afterEach(async () => {
  await relay?.close();
  // So a test that starts none does not close the previous one's again.
  relay = undefined as never;
});

const finalDeployment = (id: string, status?: string) => deploymentWhen(relay, id, status);

describe('an environment release deploys several services together', () => {
  it('one push releases an API, a worker and a migration job in one call, followed to its end service by service', async () => {
    relay = await startTestRelay(RULES);
    const response = await relay.post('hub', dockerHubPush({ repository: 'acme/platform', tag: '3.1.0' }));
    expect(response.statusCode).toBe(202);
    const [summary] = response.json.deployments;
    expect(summary.target).toEqual({
      kind: 'environment',
      id: ENV,
      services: [
        { kind: 'container', id: API },
        { kind: 'container', id: WORKER },
        { kind: 'job', id: MIGRATE },
      ],
    });

    const deployment = await finalDeployment(summary.id);
    expect(relay.fake.releaseCalls().map((c) => [c.path, c.body])).toEqual([
      [
        `/environment/${ENV}/service/deploy`,
        {
          containers: [
            { id: API, image_tag: '3.1.0' },
            { id: WORKER, image_tag: '3.1.0' },
          ],
          jobs: [{ id: MIGRATE, image_tag: '3.1.0' }],
        },
      ],
    ]);
    // One call for the release: no service was deployed on its own.
    expect(relay.fake.deployCalls()).toEqual([]);
    expect(deployment.target.services).toEqual([
      { kind: 'container', id: API, state: 'DEPLOYED' },
      { kind: 'container', id: WORKER, state: 'DEPLOYED' },
      { kind: 'job', id: MIGRATE, state: 'DEPLOYED' },
    ]);
    expect(deployment.transitions.map((t: any) => t.status)).toEqual(expect.arrayContaining(['queued', 'deploying', 'accepted', 'succeeded']));
    const ids = async (query: string) => ((await relay.get(`/deployments?${query}`)).json.deployments as any[]).map((d) => d.id);
    expect(await ids(`targetKind=environment&targetId=${ENV}`)).toEqual([summary.id]);
    expect(await ids(`jobId=${MIGRATE}`)).toEqual([summary.id]);
  });

  it("is followed to its end when Qovery gives each released service its own request id rather than the environment's", async () => {
    relay = await startTestRelay(RULES);
    relay.fake.setReleaseRequestIds('per-service');
    const response = await relay.post('hub', dockerHubPush({ repository: 'acme/platform', tag: '3.1.5' }));
    const deployment = await finalDeployment(response.json.deployments[0].id);
    expect(deployment.target.services.map((s: any) => s.state)).toEqual(['DEPLOYED', 'DEPLOYED', 'DEPLOYED']);
  });

  it('fails when one released service fails, naming it, with every service state recorded', async () => {
    relay = await startTestRelay(RULES);
    relay.fake.scriptStatus(WORKER, [{ state: 'DEPLOYING', reads: 2 }, { state: 'DEPLOYMENT_ERROR' }]);
    const response = await relay.post('hub', dockerHubPush({ repository: 'acme/platform', tag: '3.2.0' }));
    const deployment = await finalDeployment(response.json.deployments[0].id, 'failed');
    expect(deployment.reason).toMatch(new RegExp(`^container ${WORKER}: Qovery reported DEPLOYMENT_ERROR`));
    expect(deployment.target.services.find((s: any) => s.id === WORKER).state).toBe('DEPLOYMENT_ERROR');
  });

  it('the never-downgrade guard holds per released service: an older tag than a service deployed alone is ignored for the whole release', async () => {
    relay = await startTestRelay(RULES);
    const single = await relay.post('hub', dockerHubPush({ repository: 'acme/api', tag: '4.0.0' }));
    await finalDeployment(single.json.deployments[0].id);
    const release = await relay.post('hub', dockerHubPush({ repository: 'acme/platform', tag: '3.9.0' }));
    const ignored = await finalDeployment(release.json.deployments[0].id, 'ignored');
    expect(ignored.reason).toMatch(/3\.9\.0 is lower than 4\.0\.0/);
    expect(relay.fake.releaseCalls()).toEqual([]);
  });

  it('a newer single-service push during a release leaves that service on the newer version, with one deploy of it open at a time', async () => {
    relay = await startTestRelay(RULES);
    relay.fake.setDeployDelay(50);
    const now = Math.floor(Date.now() / 1000);
    const release = await relay.post('hub', dockerHubPush({ repository: 'acme/platform', tag: '5.0.0', pushedAt: now - 10 }));
    const single = await relay.post('hub', dockerHubPush({ repository: 'acme/api', tag: '5.0.1', pushedAt: now }));
    expect((await finalDeployment(single.json.deployments[0].id)).imageTag).toBe('5.0.1');
    await expect
      .poll(async () => (await relay.get(`/deployments/${release.json.deployments[0].id}`)).json.status, { timeout: 10_000 })
      .toMatch(/^(succeeded|superseded)$/);
    // Whatever the order, the API's last deploy, alone or in the release, is the newer push.
    const apiCalls = relay.fake.requests.filter(
      (r) => r.method === 'POST' && (r.path === `/container/${API}/deploy` || (r.path.endsWith('/service/deploy') && JSON.stringify(r.body).includes(API))),
    );
    expect(JSON.stringify(apiCalls.at(-1)?.body)).toContain('5.0.1');
    expect(relay.fake.maxConcurrentDeploys(API)).toBeLessThanOrEqual(1);
  });

  it('retries a release Qovery refuses with 409 while an operation is in progress, and calls again only then', async () => {
    relay = await startTestRelay(RULES);
    relay.fake.scriptDeploy(ENV, [{ kind: 'error', status: 409, detail: 'Operation is in progress' }]);
    const response = await relay.post('hub', dockerHubPush({ repository: 'acme/platform', tag: '3.3.0' }));
    const deployment = await finalDeployment(response.json.deployments[0].id);
    expect(relay.fake.releaseCalls()).toHaveLength(2);
    expect(deployment.transitions.map((t: any) => [t.status, t.httpStatus])).toEqual(expect.arrayContaining([['retrying', 409]]));
  });

  it('refuses a release whose deploy: one of its services cannot take', () => {
    const bad = RULES.replace(`[{ containerId: ${API} }`, `[{ applicationId: ${API} }`);
    expect(() => parseRules(bad, {})).toThrow(
      expect.objectContaining({ problems: [`routes.0.deploy: route "platform": an application in its release (${API}) is deployed by commit, not by tag`] }),
    );
  });
});
