import { afterEach, describe, expect, it } from 'vitest';
import type { RelayConfig } from '../../src/relay.js';
import type { StatusStep } from '../fakes/fake-qovery.js';
import { startTestRelay, type TestRelay } from '../support/relay.js';
import { commitRules } from '../support/rules.js';

/**
 * Qovery (or the proxy in front of it) misbehaving in the ways a real API does: rate limits,
 * 5xx pages, calls that never answer, status reads that fail. Each deployment still ends, and
 * its history says what happened.
 */
const JOB = '00000000-0000-4000-8000-000000000401';
const RULES = commitRules({ source: 'ci', routes: [{ jobId: JOB }] });
const COMMIT = 'd'.repeat(40);

let relay: TestRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

async function deployUntil(r: TestRelay, status: string): Promise<any> {
  const response = await r.post('ci', { repository: 'acme/api', branch: 'main', commit: COMMIT });
  expect(response.statusCode, JSON.stringify(response.json)).toBe(202);
  const id = response.json.deployments[0].id;
  let deployment: any;
  await expect.poll(async () => ((deployment = (await r.get(`/deployments/${id}`)).json), deployment.status), { timeout: 60_000, interval: 50 }).toBe(status);
  return deployment;
}

async function withFaults(
  answers: Parameters<TestRelay['fake']['scriptDeploy']>[1],
  overrides: Partial<RelayConfig> = {},
  walk?: StatusStep[],
): Promise<TestRelay> {
  relay = await startTestRelay(RULES, overrides);
  relay.fake.scriptDeploy(JOB, answers);
  if (walk) relay.fake.scriptStatus(JOB, walk);
  return relay;
}

const retries = (deployment: any) => deployment.transitions.filter((t: any) => t.status === 'retrying');

describe('Qovery faults', () => {
  it('a 429 with Retry-After: 1 is retried no sooner than a second later, and the retry records the 429', async () => {
    // Backoff capped well above the Retry-After, so the server's floor is what decides the wait.
    const r = await withFaults([{ kind: 'error', status: 429, detail: 'Too many requests', retryAfter: '1' }], { DEPLOY_BACKOFF_MAX_MS: 5_000 });
    const deployment = await deployUntil(r, 'succeeded');

    const calls = r.fake.deployCalls(JOB);
    expect(calls).toHaveLength(2);
    const waitedMs = (calls[1]?.at ?? 0) - (calls[0]?.at ?? 0);
    console.log(`[qovery-faults] the retry after a 429 with Retry-After: 1 came ${waitedMs} ms after the first call`);
    // The first call is stamped when it arrives and the 429 leaves after it, so the gap is at least the second.
    expect(waitedMs).toBeGreaterThanOrEqual(990);
    expect(retries(deployment)).toEqual([
      expect.objectContaining({ attempt: 1, httpStatus: 429, detail: expect.stringMatching(/Too many requests; retrying in \d+ ms/) }),
    ]);
    expect(deployment.attempts).toBe(2);
  }, 90_000);

  it('a 502 HTML page from a proxy is recorded by its title, not as a wall of markup, and retried', async () => {
    const r = await withFaults([{ kind: 'error', status: 502, body: 'html' }]);
    const deployment = await deployUntil(r, 'succeeded');
    expect(r.fake.deployCalls(JOB)).toHaveLength(2);
    const [retry] = retries(deployment);
    expect(retry).toMatchObject({ httpStatus: 502, detail: expect.stringContaining('HTTP 502 with an HTML page titled "502 Bad Gateway"') });
    expect(retry.detail).not.toContain('<');
  }, 90_000);

  it('a 503 with an empty body is recorded as such and retried', async () => {
    const r = await withFaults([{ kind: 'error', status: 503, body: 'empty' }]);
    const deployment = await deployUntil(r, 'succeeded');
    expect(r.fake.deployCalls(JOB)).toHaveLength(2);
    expect(retries(deployment)).toEqual([expect.objectContaining({ httpStatus: 503, detail: expect.stringContaining('HTTP 503 with an empty body') })]);
  }, 90_000);

  it('a deploy call that never answers times out, is recorded as a timeout and retried', async () => {
    const r = await withFaults([{ kind: 'hang' }], { QOVERY_REQUEST_TIMEOUT_MS: 500 });
    const deployment = await deployUntil(r, 'succeeded');
    expect(r.fake.deployCalls(JOB)).toHaveLength(2);
    const [retry] = retries(deployment);
    expect(retry).toMatchObject({ attempt: 1, detail: expect.stringContaining('no answer from Qovery within 500 ms') });
    expect(retry.httpStatus).toBeUndefined();
  }, 90_000);

  it('a deploy call that times out after Qovery took it is not repeated: the retry asks Qovery first', async () => {
    // Qovery records the deployment at once but answers after the relay has given up waiting.
    const r = await withFaults([{ kind: 'accept-late', answerAfterMs: 1_000 }], { QOVERY_REQUEST_TIMEOUT_MS: 300 });
    const deployment = await deployUntil(r, 'succeeded');
    expect(r.fake.deployCalls(JOB)).toHaveLength(1);
    expect(deployment.transitions).toEqual(
      expect.arrayContaining([expect.objectContaining({ status: 'accepted', detail: expect.stringContaining('already has this deploy') })]),
    );
  }, 90_000);

  it('status reads that fail with 500 while following are recorded, and the deployment still ends succeeded', async () => {
    const walk: StatusStep[] = [{ state: 'DEPLOYMENT_QUEUED' }, { error: 500, reads: 2 }, { state: 'DEPLOYING' }, { state: 'DEPLOYED' }];
    const r = await withFaults([], {}, walk);
    const deployment = await deployUntil(r, 'succeeded');
    expect(r.fake.deployCalls(JOB)).toHaveLength(1);
    const failedPolls = deployment.transitions.filter((t: any) => t.httpStatus === 500);
    expect(failedPolls).toHaveLength(2);
    for (const poll of failedPolls) {
      expect(poll.detail).toMatch(/^status call failed, retrying at the next poll: /);
      // A failed read is a note on the deployment, not a change of its status.
      expect(['accepted', 'in_progress']).toContain(poll.status);
    }
    expect(deployment).toMatchObject({ status: 'succeeded', qoveryState: 'DEPLOYED' });
  }, 90_000);
});
