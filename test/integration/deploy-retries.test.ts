import { afterEach, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../support/relay.js';
import { githubPush } from '../support/payloads.js';
import { commitRules } from '../support/rules.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const RULES = commitRules({ source: 'github', routes: [{ jobId: JOB }] });

let relay: TestRelay;
afterEach(async () => relay?.close());

async function deployAndWait(status: string) {
  const push = githubPush({ repository: 'acme/api', branch: 'main', commit: '1'.repeat(40) });
  const response = await relay.post('github', push.body, push.headers);
  expect(response.statusCode).toBe(202);
  const id = response.json.deployments[0].id;
  let deployment: any;
  await expect.poll(async () => ((deployment = (await relay.get(`/deployments/${id}`)).json), deployment.status), { timeout: 15_000 }).toBe(status);
  return deployment;
}

describe('deploy calls are retried only when retrying can help', () => {
  it('Qovery 503 then 202: retried, and every attempt is recorded', async () => {
    relay = await startTestRelay(RULES);
    relay.fake.scriptDeploy(JOB, [
      { kind: 'error', status: 503, detail: 'service unavailable' },
      { kind: 'error', status: 503 },
    ]);
    const deployment = await deployAndWait('succeeded');
    expect(relay.fake.deployCalls(JOB)).toHaveLength(3);
    expect(deployment.attempts).toBe(3);
    const retries = deployment.transitions.filter((t: any) => t.status === 'retrying');
    expect(retries).toEqual([
      expect.objectContaining({ attempt: 1, httpStatus: 503, detail: expect.stringContaining('service unavailable') }),
      expect.objectContaining({ attempt: 2, httpStatus: 503 }),
    ]);
    expect(deployment.transitions.filter((t: any) => t.status === 'deploying').map((t: any) => t.attempt)).toEqual([1, 2, 3]);
  });

  it("Qovery 404: failed at once with Qovery's detail, not retried", async () => {
    relay = await startTestRelay(RULES);
    relay.fake.scriptDeploy(JOB, [{ kind: 'error', status: 404, detail: 'Job not found' }]);
    const deployment = await deployAndWait('failed');
    expect(relay.fake.deployCalls(JOB)).toHaveLength(1);
    expect(deployment.attempts).toBe(1);
    expect(deployment.transitions.at(-1)).toMatchObject({ status: 'failed', httpStatus: 404, attempt: 1, detail: 'Job not found' });
    expect(deployment.reason).toBe('Job not found');
  });

  it('gives up after DEPLOY_MAX_ATTEMPTS retryable failures and says so', async () => {
    relay = await startTestRelay(RULES, { DEPLOY_MAX_ATTEMPTS: 3 });
    relay.fake.scriptDeploy(
      JOB,
      Array.from({ length: 5 }, () => ({ kind: 'error' as const, status: 502 })),
    );
    const deployment = await deployAndWait('failed');
    expect(relay.fake.deployCalls(JOB)).toHaveLength(3);
    expect(deployment.transitions.at(-1).detail).toMatch(/gave up after 3 attempts/);
  });
});
