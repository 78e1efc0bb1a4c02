import { afterEach, describe, expect, it } from 'vitest';
import { scrape, sample } from '../support/metrics.js';
import { githubPush } from '../support/payloads.js';
import { startTestRelay, type TestRelay } from '../support/relay.js';
import { commitRules } from '../support/rules.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const RULES = commitRules({ source: 'github', routes: [{ jobId: JOB }] });

const relays: TestRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function start(...args: Parameters<typeof startTestRelay>): Promise<TestRelay> {
  const relay = await startTestRelay(...args);
  relays.push(relay);
  return relay;
}

let commits = 0;
const push = () => githubPush({ repository: 'acme/api', branch: 'main', commit: (++commits).toString(16).padStart(40, 'c') });

async function deployUntil(relay: TestRelay, status: string): Promise<void> {
  const { body, headers } = push();
  const answer = await relay.post('github', body, headers);
  expect(answer.statusCode).toBe(202);
  const id = answer.json.deployments[0].id;
  await expect.poll(async () => (await relay.get(`/deployments/${id}`)).json.status, { timeout: 15_000 }).toBe(status);
}

describe('GET /metrics', () => {
  it('counts webhooks by source and outcome, auth failures on their own, and times each enqueue', async () => {
    const relay = await start(RULES, { RELAY_ROLE: 'api' });
    const app = relay.relay.app!;
    const accepted = push();
    expect((await relay.post('github', accepted.body, accepted.headers)).statusCode).toBe(202);
    expect((await relay.post('github', accepted.body, accepted.headers)).statusCode).toBe(200);
    const forged = push();
    expect((await relay.post('github', forged.body, forged.headers, { unsigned: true })).statusCode).toBe(401);
    expect((await relay.post('made-up-source', forged.body, forged.headers)).statusCode).toBe(404);

    const text = await scrape(app);
    expect(sample(text, 'relay_webhooks_total', { source: 'github', outcome: 'accepted' })).toBe(1);
    expect(sample(text, 'relay_webhooks_total', { source: 'github', outcome: 'duplicate' })).toBe(1);
    expect(sample(text, 'relay_webhooks_total', { source: 'github', outcome: 'unauthorized' })).toBe(1);
    // What a sender puts in the URL never becomes a label of its own.
    expect(sample(text, 'relay_webhooks_total', { source: '', outcome: 'unknown_source' })).toBe(1);
    expect(text).not.toContain('made-up-source');
    expect(sample(text, 'relay_webhook_auth_failures_total', { source: 'github' })).toBe(1);
    // The accepted push and its repeat both stored their delivery.
    expect(sample(text, 'relay_enqueue_duration_seconds_count')).toBe(2);
    // The process's own figures come with it.
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts webhooks the HTTP layer refuses before intake, such as a body over the limit', async () => {
    const relay = await start(RULES, { RELAY_ROLE: 'api', WEBHOOK_BODY_LIMIT_BYTES: 2048 });
    const { body, headers } = push();
    const big = await relay.post('github', body, headers, { raw: Buffer.alloc(4096, 'a') });
    expect(big.statusCode).toBe(413);
    expect(sample(await scrape(relay.relay.app!), 'relay_webhooks_total', { source: 'github', outcome: 'too_large' })).toBe(1);
  });

  it('shows the queue depth and how long the oldest due job has waited, read from BullMQ at scrape time', async () => {
    // An API-only relay enqueues and nothing consumes, so the job stays waiting.
    const relay = await start(RULES, { RELAY_ROLE: 'api' });
    const app = relay.relay.app!;
    expect(sample(await scrape(app), 'relay_queue_depth', { state: 'waiting' })).toBe(0);
    expect(sample(await scrape(app), 'relay_queue_oldest_waiting_seconds')).toBe(0);
    const { body, headers } = push();
    expect((await relay.post('github', body, headers)).statusCode).toBe(202);
    const text = await scrape(app);
    expect(sample(text, 'relay_queue_depth', { state: 'waiting' })).toBe(1);
    expect(sample(text, 'relay_queue_depth', { state: 'active' })).toBe(0);
    await expect.poll(async () => sample(await scrape(app), 'relay_queue_oldest_waiting_seconds')).toBeGreaterThan(0.05);
    // The budget belongs to the worker side: an API process does not report it.
    expect(sample(text, 'relay_qovery_budget_remaining')).toBeUndefined();
  });

  it('follows a deployment: Qovery calls by endpoint and status, its final status, both latencies and the budget spent', async () => {
    // 600 an hour: a bucket of 10 calls, refilling at one every ~6 s, so the spent calls show.
    const relay = await start(RULES, { QOVERY_MAX_REQUESTS_PER_HOUR: 600 });
    const app = relay.relay.app!;
    expect(sample(await scrape(app), 'relay_qovery_budget_remaining')).toBe(10);
    await deployUntil(relay, 'succeeded');

    const text = await scrape(app);
    const statusCalls = relay.fake.requests.filter((r) => /\/status(es)?$/.test(r.path)).length;
    const lookups = relay.fake.lookupCalls().length;
    expect(lookups).toBe(1);
    expect(sample(text, 'relay_qovery_requests_total', { endpoint: 'deploy', status: '202' })).toBe(1);
    expect(sample(text, 'relay_qovery_requests_total', { endpoint: 'lookup', status: '200' })).toBe(1);
    expect(sample(text, 'relay_qovery_requests_total', { endpoint: 'status', status: '200' })).toBe(statusCalls);
    expect(sample(text, 'relay_follow_checks_total', { kind: 'environment' })).toBe(relay.fake.environmentStatusCalls().length);
    expect(sample(text, 'relay_deployments_finished_total', { status: 'succeeded' })).toBe(1);
    expect(sample(text, 'relay_webhook_to_deploy_call_seconds_count')).toBe(1);
    expect(sample(text, 'relay_webhook_to_final_status_seconds_count', { status: 'succeeded' })).toBe(1);
    expect(sample(text, 'relay_webhook_to_final_status_seconds_sum', { status: 'succeeded' })).toBeGreaterThan(0);
    expect(sample(text, 'relay_deploy_retries_total')).toBe(0);
    expect(sample(text, 'relay_qovery_budget_remaining')).toBe(10 - 1 - lookups - statusCalls);
  });

  it('counts retries and the HTTP status Qovery answered each call with', async () => {
    const relay = await start(RULES);
    relay.fake.scriptDeploy(JOB, [{ kind: 'error', status: 503 }]);
    await deployUntil(relay, 'succeeded');
    const text = await scrape(relay.relay.app!);
    expect(sample(text, 'relay_deploy_retries_total')).toBe(1);
    expect(sample(text, 'relay_qovery_requests_total', { endpoint: 'deploy', status: '503' })).toBe(1);
    expect(sample(text, 'relay_qovery_requests_total', { endpoint: 'deploy', status: '202' })).toBe(1);
    // Only the first call is timed from the webhook.
    expect(sample(text, 'relay_webhook_to_deploy_call_seconds_count')).toBe(1);
  });

  it('gives each relay its own registry, so two in one process do not see each other', async () => {
    const [a, b] = [await start(RULES, { RELAY_ROLE: 'api' }), await start(RULES, { RELAY_ROLE: 'api' })];
    const { body, headers } = push();
    expect((await a.post('github', body, headers)).statusCode).toBe(202);
    expect(sample(await scrape(a.relay.app!), 'relay_webhooks_total', { source: 'github', outcome: 'accepted' })).toBe(1);
    expect(sample(await scrape(b.relay.app!), 'relay_webhooks_total', { source: 'github', outcome: 'accepted' })).toBeUndefined();
  });

  it('is served by a worker-only process on its own small app (METRICS_PORT), with health but no API', async () => {
    const relay = await start(RULES, { RELAY_ROLE: 'worker' });
    expect(relay.relay.app).toBeUndefined();
    const metricsApp = relay.relay.metricsApp!;
    const text = await scrape(metricsApp);
    expect(sample(text, 'relay_qovery_budget_remaining')).toBeGreaterThan(0);
    expect(sample(text, 'relay_queue_depth', { state: 'waiting' })).toBe(0);
    expect((await metricsApp.inject({ url: '/healthz' })).statusCode).toBe(200);
    const webhook = await metricsApp.inject({ method: 'POST', url: '/webhooks/github', payload: '{}' });
    expect(webhook.statusCode).toBe(404);
    expect(webhook.json().code).toBe('RELAY_NOT_FOUND');
  });

  it('needs no bearer token, as Prometheus scrapes', async () => {
    const relay = await start(RULES, { RELAY_ROLE: 'api' });
    const response = await relay.relay.app!.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
  });
});
