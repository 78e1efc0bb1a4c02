import { afterEach, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../support/relay.js';
import { githubPush } from '../support/payloads.js';
import { commitRules } from '../support/rules.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const RULES = commitRules({ source: 'github', routes: [{ jobId: JOB }] });

let relay: TestRelay;
afterEach(async () => relay?.close());

async function queuedJobs(): Promise<number> {
  const keys = await relay.redis.keys(`${relay.prefix}:deploy:*`);
  return keys.filter((k) => !/:(meta|events|id|stalled-check|marker)$/.test(k)).length;
}

describe('intake answers every webhook with the right status and stores only what it accepts', () => {
  it('a push with a bad signature is refused with 401 and nothing is stored or enqueued', async () => {
    relay = await startTestRelay(RULES);
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: 'c'.repeat(40) });
    const response = await relay.post('github', push.body, { ...push.headers, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, { unsigned: true });
    expect(response.statusCode).toBe(401);
    expect(response.json).toMatchObject({ code: 'RELAY_SIGNATURE_INVALID', reqId: expect.any(String) });
    const missing = await relay.post('github', push.body, push.headers, { unsigned: true });
    expect(missing.json.message).toMatch(/missing x-hub-signature-256/i);
    expect((await relay.get('/deliveries')).json.deliveries).toEqual([]);
    expect(await queuedJobs()).toBe(0);
    expect(relay.fake.deployCalls()).toHaveLength(0);
  });

  it('a push to an unmatched branch is recorded as ignored with the closest mismatch as its reason', async () => {
    relay = await startTestRelay(RULES);
    const push = githubPush({ repository: 'acme/api', branch: 'dev', commit: 'd'.repeat(40) });
    const response = await relay.post('github', push.body, push.headers);
    expect(response.statusCode).toBe(202);
    expect(response.json).toEqual({
      deliveryId: push.headers['x-github-delivery'],
      deployments: [],
      ignored: expect.stringContaining('branch "dev" does not match "main"'),
    });

    const delivery = (await relay.get(`/deliveries/${push.headers['x-github-delivery']}`)).json;
    expect(delivery).toMatchObject({
      outcome: 'ignored',
      source: 'github',
      event: 'push',
      read: [{ repository: 'acme/api', branch: 'dev', commit: 'd'.repeat(40) }],
    });
    expect(delivery.reason).toContain('branch "dev" does not match "main"');
    expect(await queuedJobs()).toBe(0);
  });

  it('the same delivery sent twice deploys once and the repeat is answered 200 duplicate', async () => {
    relay = await startTestRelay(RULES);
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: 'e'.repeat(40) });
    const first = await relay.post('github', push.body, push.headers);
    const second = await relay.post('github', push.body, push.headers);
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(second.json).toEqual({ deliveryId: first.json.deliveryId, duplicate: true, deployments: first.json.deployments });

    await expect.poll(async () => (await relay.get(`/deployments/${first.json.deployments[0].id}`)).json.status, { timeout: 10_000 }).toBe('succeeded');
    expect(relay.fake.deployCalls(JOB)).toHaveLength(1);
    const deliveries = (await relay.get('/deliveries')).json.deliveries;
    expect(deliveries.map((d: any) => d.outcome)).toEqual(['duplicate', 'accepted']);
    expect(deliveries[0].duplicateOf).toBe(first.json.deliveryId);
  });

  it('two sources that receive the same delivery id each deploy it: ids are unique per source only', async () => {
    relay = await startTestRelay(
      `${RULES}
  - name: mirror-main
    source: mirror
    match: { repository: acme/api, branch: main }
    target: { jobId: 00000000-0000-4000-8000-0000000000ff }
    deploy: commit
`.replace('routes:', '  - name: mirror\n    type: github\n    secret: gh-secret-for-tests\nroutes:'),
      { RELAY_ROLE: 'api' },
    );
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: 'f'.repeat(40), delivery: 'shared-delivery-id' });
    const first = await relay.post('github', push.body, push.headers);
    const second = await relay.post('mirror', push.body, push.headers);
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(second.json.deployments[0].id).not.toBe(first.json.deployments[0].id);
    expect((await relay.get('/deliveries/shared-delivery-id?source=github')).json.source).toBe('github');
    expect((await relay.get('/deliveries/shared-delivery-id')).json.source).toBe('mirror');
  });

  it('a ping is answered 200 and recorded', async () => {
    relay = await startTestRelay(RULES);
    const response = await relay.post('github', { zen: 'Keep it logically awesome.', hook_id: 1 }, { 'x-github-event': 'ping', 'x-github-delivery': 'ping-1' });
    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ deliveryId: 'ping-1', ping: true });
  });

  it('malformed JSON is a 400 naming the problem, and a payload without its ref is a 400 too', async () => {
    relay = await startTestRelay(RULES);
    const headers = { 'x-github-event': 'push', 'x-github-delivery': 'bad-json' };
    const notJson = await relay.post('github', undefined, headers, { raw: Buffer.from('{"ref": ') });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json.code).toBe('RELAY_BODY_NOT_JSON');

    const noRef = await relay.post('github', { after: 'x', repository: { full_name: 'acme/api' } }, { ...headers, 'x-github-delivery': 'no-ref' });
    expect(noRef.statusCode).toBe(400);
    expect(noRef.json.code).toBe('RELAY_PAYLOAD_INVALID');
    expect(noRef.json.message).toContain('ref');
    expect((await relay.get('/deliveries')).json.deliveries).toEqual([]);
  });

  it('an unknown source is a 404 and a body over the limit is a 413', async () => {
    relay = await startTestRelay(RULES, { WEBHOOK_BODY_LIMIT_BYTES: 2048 });
    const unknown = await relay.post('gitlab', { any: 1 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json.code).toBe('RELAY_UNKNOWN_SOURCE');

    const big = await relay.post('github', { padding: 'x'.repeat(4096) }, { 'x-github-event': 'push', 'x-github-delivery': 'big' });
    expect(big.statusCode).toBe(413);
    expect(big.json.code).toBe('RELAY_BODY_TOO_LARGE');
  });

  it('a client over the webhook rate limit gets 429 with a stable code, counted in Redis', async () => {
    relay = await startTestRelay(RULES, { RATE_LIMIT_MAX: 2, RELAY_ROLE: 'api' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const push = githubPush({ repository: 'acme/api', branch: 'dev', commit: `${i + 1}`.repeat(40) });
      const response = await relay.post('github', push.body, push.headers);
      statuses.push(response.statusCode);
      if (response.statusCode === 429) expect(response.json.code).toBe('RELAY_RATE_LIMITED');
    }
    expect(statuses).toEqual([202, 202, 429]);
    expect(await relay.redis.keys(`${relay.prefix}:ratelimit:*`)).not.toHaveLength(0);
  });

  it('every stored delivery and status change is an entry of the capped events stream, in order, with its time', async () => {
    relay = await startTestRelay(RULES);
    const events = async () =>
      ((await relay.redis.xrange(`${relay.prefix}:events`, '-', '+')) as Array<[string, string[]]>).map(
        ([, fields]) => JSON.parse(fields[1] as string) as Record<string, string>,
      );
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: 'f'.repeat(40) });
    const response = await relay.post('github', push.body, push.headers);
    const id = response.json.deployments[0].id as string;
    await expect.poll(async () => (await events()).at(-1)?.status, { timeout: 10_000 }).toBe('succeeded');
    const all = await events();
    expect(all.slice(0, 2)).toEqual([
      { type: 'deployment', id, status: 'queued', at: expect.any(String) },
      { type: 'delivery', id: push.headers['x-github-delivery'], source: 'github', outcome: 'accepted', at: expect.any(String) },
    ]);
    const statuses = all.slice(2).map((e) => [e.previous, e.status]);
    expect(statuses[0]).toEqual(['queued', 'deploying']);
    expect(statuses.at(-1)?.[1]).toBe('succeeded');
    expect(all.slice(2).every((e) => e.type === 'deployment' && e.id === id && !Number.isNaN(Date.parse(e.at as string)))).toBe(true);
  });

  it('health needs no token and readiness reports Redis', async () => {
    relay = await startTestRelay(RULES);
    expect(await relay.get('/healthz', null)).toEqual({ statusCode: 200, json: { status: 'ok' } });
    expect(await relay.get('/readyz', null)).toEqual({ statusCode: 200, json: { status: 'ready', redis: 'up' } });
  });
});
