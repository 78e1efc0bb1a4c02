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

describe('a deploy call whose answer may have come after Qovery acted is not repeated before asking Qovery', () => {
  it.each([
    ['a 502 page from a proxy', { kind: 'accept-then-error' as const, status: 502, body: 'html' as const }],
    ['a 503 with an empty body', { kind: 'accept-then-error' as const, status: 503, body: 'empty' as const }],
    ['a 500', { kind: 'accept-then-error' as const, status: 500 }],
    ['a connection reset', { kind: 'accept-then-reset' as const }],
  ])('%s after Qovery took the deploy: one deploy call, recorded accepted, followed to succeeded', async (_, answer) => {
    relay = await startTestRelay(RULES);
    relay.fake.scriptDeploy(JOB, [answer]);
    const deployment = await deployAndWait('succeeded');
    expect(relay.fake.deployments(JOB)).toHaveLength(1);
    expect(relay.fake.deployCalls(JOB)).toHaveLength(1);
    const statuses = deployment.transitions.map((t: any) => t.status);
    expect(statuses.slice(0, 4)).toEqual(['queued', 'deploying', 'retrying', 'accepted']);
    expect(deployment.transitions[3].detail).toMatch(/already has this deploy/);
    expect(deployment.deploymentRequestId).toBe(relay.fake.deployments(JOB)[0]);
  });

  it('with no attempt left, a 502 after Qovery took the deploy is not recorded failed: Qovery is asked, and it was accepted', async () => {
    relay = await startTestRelay(RULES, { DEPLOY_MAX_ATTEMPTS: 1 });
    relay.fake.scriptDeploy(JOB, [{ kind: 'accept-then-error', status: 502 }]);
    const deployment = await deployAndWait('succeeded');
    expect(relay.fake.deployCalls(JOB)).toHaveLength(1);
    expect(deployment.transitions.map((t: any) => t.status)).toContain('accepted');
  });

  it('with no attempt left, a 502 before Qovery acted ends failed once Qovery shows no deploy from it', async () => {
    relay = await startTestRelay(RULES, { DEPLOY_MAX_ATTEMPTS: 1 });
    relay.fake.scriptDeploy(JOB, [{ kind: 'error', status: 502 }]);
    const deployment = await deployAndWait('failed');
    expect(relay.fake.deployCalls(JOB)).toHaveLength(1);
    expect(relay.fake.statusCalls(JOB).length).toBeGreaterThanOrEqual(1);
    expect(deployment.reason).toMatch(/gave up after 1 attempts: the last one's answer was lost and Qovery shows no deploy from it/);
  });

  it('a 409 or 429 means Qovery did not act: retried without asking Qovery first', async () => {
    relay = await startTestRelay(RULES);
    relay.fake.scriptDeploy(JOB, [
      { kind: 'error', status: 409 },
      { kind: 'error', status: 429, retryAfter: '0' },
    ]);
    await deployAndWait('succeeded');
    const [, , third] = relay.fake.deployCalls(JOB);
    expect(third).toBeDefined();
    expect(relay.fake.statusCalls(JOB).filter((c) => c.at < (third?.at ?? 0))).toHaveLength(0);
  });
});
