import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRules } from '../../src/config/rules.js';
import type { History } from '../../src/history/history.js';
import type { SourceConfig } from '../../src/sources/types.js';
import { sign } from '../fakes/signers.js';
import { githubPush } from '../support/payloads.js';
import { startTestRelay, type TestRelay } from '../support/relay.js';
import { commitRules } from '../support/rules.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const CI_SECRET = 'ci-secret-for-hostile-tests';

let relay: TestRelay;
afterEach(async () => relay?.close());

/** Every key the relay wrote under the test's prefix, less BullMQ's queue bookkeeping. */
async function storedKeys(): Promise<string[]> {
  const keys = await relay.redis.keys(`${relay.prefix}:*`);
  // BullMQ's own keys of the two queues (their meta and stalled-check keys exist while a worker runs).
  return keys.filter((k) => !k.startsWith(`${relay.prefix}:deploy:`) && !k.startsWith(`${relay.prefix}:notify:`) && !k.includes(':ratelimit:')).sort();
}

const HUB_RULES = `
sources:
  - name: hub
    type: dockerhub
    token: hub-path-token-0123456789
routes:
  - name: worker
    source: hub
    match: { image: acme/worker }
    target: { jobId: ${JOB} }
    deploy: tag
`;

const hubBody = (tag: string) =>
  `{"push_data":{"pushed_at":1795255925,"pusher":"ci","tag":"${tag}"},"repository":{"repo_name":"acme/worker","namespace":"acme","name":"worker"}}`;

describe('bodies that cannot be stored as sent are refused with 400 and leave nothing behind', () => {
  it('a lone surrogate in a Docker Hub tag is refused with RELAY_INVALID_ENCODING, and the retry of a valid push is processed', async () => {
    relay = await startTestRelay(HUB_RULES);
    const bad = await relay.post('hub', undefined, {}, { raw: Buffer.from(hubBody('v1\\ud800')) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json).toMatchObject({ code: 'RELAY_INVALID_ENCODING', message: expect.stringContaining('surrogate') });
    expect(await storedKeys()).toEqual([]);
    const good = await relay.post('hub', undefined, {}, { raw: Buffer.from(hubBody('v1.0.0')) });
    expect(good.statusCode).toBe(202);
    expect((await relay.get(`/deployments/${good.json.deployments[0].id}`)).statusCode).toBe(200);
  });

  it('a surrogate pair written as escapes (an emoji) is accepted', async () => {
    relay = await startTestRelay(HUB_RULES);
    const body = hubBody('v2.0.0').replace('"pusher":"ci"', '"pusher":"ci \\ud83d\\ude80"');
    expect((await relay.post('hub', undefined, {}, { raw: Buffer.from(body) })).statusCode).toBe(202);
  });

  it('bytes that are not UTF-8 are refused with RELAY_INVALID_ENCODING', async () => {
    relay = await startTestRelay(HUB_RULES);
    const raw = Buffer.concat([Buffer.from(hubBody('v3').slice(0, 40)), Buffer.from([0xff, 0xfe]), Buffer.from(hubBody('v3').slice(40))]);
    const response = await relay.post('hub', undefined, {}, { raw });
    expect(response.statusCode).toBe(400);
    expect(response.json.code).toBe('RELAY_INVALID_ENCODING');
    expect(await storedKeys()).toEqual([]);
  });

  it('a Harbor body nested 10,000 deep inside event_data is refused with 400, not 500', async () => {
    relay = await startTestRelay(`
sources:
  - name: harbor
    type: harbor
    header: { value: "Bearer harbor-test-token" }
routes: []
`);
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const raw = Buffer.from(`{"type":"PUSH_ARTIFACT","occur_at":1795255925,"event_data":${deep}}`);
    const response = await relay.post('harbor', undefined, {}, { raw });
    expect(response.statusCode).toBe(400);
    expect(response.json).toMatchObject({ code: 'RELAY_BODY_NOT_JSON', message: expect.stringContaining('deeper') });
  });

  it('POST /rules/test refuses the same deep body and lone surrogate with 400', async () => {
    relay = await startTestRelay(HUB_RULES);
    const app = relay.relay.app!;
    const headers = { authorization: 'Bearer test-api-token-0123456789', 'content-type': 'application/json' };
    const deep = await app.inject({
      method: 'POST',
      url: '/rules/test',
      headers,
      payload: `{"source":"hub","body":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    });
    expect(deep.statusCode).toBe(400);
    expect(deep.json().code).toBe('RELAY_BODY_NOT_JSON');
    const lone = await app.inject({
      method: 'POST',
      url: '/rules/test',
      headers,
      payload: `{"source":"hub","rawBody":${JSON.stringify(hubBody('v1\\ud800'))}}`,
    });
    expect(lone.statusCode).toBe(200);
    expect(lone.json()).toMatchObject({ outcome: 'invalid', wouldAnswer: 400 });
  });
});

describe('a replayed request is a duplicate whatever unsigned id it carries', () => {
  const ciRules = commitRules({ source: 'ci', secret: CI_SECRET, routes: [{ jobId: JOB }] });

  function signedCi(body: string, timestamp: number) {
    const signature = createHmac('sha256', CI_SECRET).update(`${timestamp}.${body}`).digest('hex');
    return { 'x-relay-timestamp': String(timestamp), 'x-relay-signature': `sha256=${signature}` };
  }

  it('a signed generic request replayed within its window with a new X-Relay-Delivery deploys once', async () => {
    relay = await startTestRelay(ciRules);
    const now = Math.floor(Date.now() / 1000);
    const a = `{"repository":"acme/api","branch":"main","commit":"${'a'.repeat(40)}"}`;
    const b = `{"repository":"acme/api","branch":"main","commit":"${'b'.repeat(40)}"}`;
    const first = await relay.post('ci', undefined, { ...signedCi(a, now), 'x-relay-delivery': 'build-1' }, { raw: Buffer.from(a), unsigned: true });
    expect(first.statusCode).toBe(202);
    const second = await relay.post('ci', undefined, { ...signedCi(b, now), 'x-relay-delivery': 'build-2' }, { raw: Buffer.from(b), unsigned: true });
    expect(second.statusCode).toBe(202);
    const replay = await relay.post('ci', undefined, { ...signedCi(a, now), 'x-relay-delivery': 'build-3' }, { raw: Buffer.from(a), unsigned: true });
    expect(replay.statusCode).toBe(200);
    expect(replay.json).toMatchObject({ duplicate: true, deliveryId: 'build-1' });
    const deployments = (await relay.get('/deployments')).json.deployments;
    expect(deployments.map((d: any) => d.gitCommitId).sort()).toEqual(['a'.repeat(40), 'b'.repeat(40)]);
  });

  it('a signed GitLab request with a new Idempotency-Key is a duplicate', async () => {
    const signingSecret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    relay = await startTestRelay(`
sources:
  - name: gitlab
    type: gitlab
    signingSecret: "${signingSecret}"
routes:
  - name: api
    source: gitlab
    match: { repository: acme/api, branch: main }
    target: { jobId: ${JOB} }
    deploy: commit
`);
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'c'.repeat(40), project: { path_with_namespace: 'acme/api' } });
    // Signed once: a replay repeats the captured signature headers, timestamp included.
    const signed = sign(relay.rules.sources[0] as SourceConfig, Buffer.from(body)).headers;
    const send = (idempotencyKey: string) =>
      relay.post(
        'gitlab',
        undefined,
        { ...signed, 'x-gitlab-event': 'Push Hook', 'idempotency-key': idempotencyKey },
        { raw: Buffer.from(body), unsigned: true },
      );
    const first = await send('key-1');
    const replay = await send('key-2');
    expect(first.statusCode).toBe(202);
    expect(replay.statusCode).toBe(200);
    expect(replay.json).toMatchObject({ duplicate: true, deliveryId: 'key-1' });
  });
});

describe('a delivery answered 5xx leaves nothing that would turn its retry into a duplicate', () => {
  const rules = commitRules({ source: 'github', routes: [{ jobId: JOB }] });

  async function plannedDeploymentId(push: { headers: Record<string, string>; body: unknown }): Promise<string> {
    const test = await relay.relay.app!.inject({
      method: 'POST',
      url: '/rules/test',
      headers: { authorization: 'Bearer test-api-token-0123456789' },
      payload: { source: 'github', headers: push.headers, body: push.body },
    });
    return test.json().deployments[0].id;
  }

  it('when the answer to its write is lost, the stored delivery and its job are undone and the retry is accepted as new', async () => {
    relay = await startTestRelay(rules, { RELAY_ROLE: 'api' });
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: '1'.repeat(40) });
    const id = await plannedDeploymentId(push);
    const jobKey = `${relay.prefix}:deploy:${id}`;
    // The write reaches Redis and runs, but its answer is lost, as when the connection drops after sending.
    const history = relay.relay.history as { recordDelivery: History['recordDelivery'] };
    const record = history.recordDelivery;
    history.recordDelivery = async (...args) => {
      await record(...args);
      expect(await relay.redis.exists(jobKey)).toBe(1);
      throw new Error('Connection is closed.');
    };
    const failed = await relay.post('github', push.body, push.headers);
    history.recordDelivery = record;
    expect(failed.statusCode).toBe(503);
    expect((await relay.get(`/deliveries/${push.headers['x-github-delivery']}`)).statusCode).toBe(404);
    expect((await relay.get(`/deployments/${id}`)).statusCode).toBe(404);
    expect(await relay.redis.exists(jobKey)).toBe(0);

    const retry = await relay.post('github', push.body, push.headers);
    expect(retry.statusCode).toBe(202);
    expect((await relay.get(`/deployments/${id}`)).json.status).toBe('queued');
    expect(await relay.redis.lrange(`${relay.prefix}:deploy:wait`, 0, -1)).toEqual([id]);
  });

  it('a repeat after a rules change adds no job for the deployment the new rules would have made', async () => {
    relay = await startTestRelay(rules, { RELAY_ROLE: 'api' });
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: '2'.repeat(40) });
    expect((await relay.post('github', push.body, push.headers)).statusCode).toBe(202);
    relay.relay.rules.replace(parseRules(rules.replace('name: api-main', 'name: api-renamed'), {}));
    const renamed = await plannedDeploymentId(push);

    const repeat = await relay.post('github', push.body, push.headers);
    expect(repeat.statusCode).toBe(200);
    expect(await relay.redis.exists(`${relay.prefix}:deploy:${renamed}`)).toBe(0);
  });
});

describe('what would be sent to Qovery is checked before anything is stored', () => {
  const ciTagRules = `
sources:
  - name: ci
    type: generic
    secret: ${CI_SECRET}
routes:
  - name: by-commit
    source: ci
    match: { repository: acme/api }
    target: { jobId: ${JOB} }
    deploy: commit
  - name: by-tag
    source: ci
    match: { image: acme/api }
    target: { jobId: 00000000-0000-4000-8000-000000000002 }
    deploy: tag
`;

  it('a commit that is not a full git commit id, or a tag that is not an OCI tag, is refused with 400 naming it', async () => {
    relay = await startTestRelay(ciTagRules, { RELAY_ROLE: 'api' });
    const cases: Array<[object, RegExp]> = [
      [{ repository: 'acme/api', commit: 'x' }, /commit "x" is not a full git commit id/],
      [{ image: 'acme/api', tag: 'has spaces' }, /tag "has spaces" is not a valid image tag/],
      [{ image: 'acme/api', tag: 'nul\u0000' }, /is not a valid image tag/],
      [{ image: 'acme/api', tag: 't'.repeat(10_000) }, /is not a valid image tag/],
      [{ image: 'acme/api', tag: '-leading-dash' }, /is not a valid image tag/],
    ];
    for (const [body, message] of cases) {
      const response = await relay.post('ci', body);
      expect(response.statusCode, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(response.json).toMatchObject({ code: 'RELAY_PAYLOAD_INVALID', message: expect.stringMatching(message) });
    }
    expect(await storedKeys()).toEqual([]);
    expect((await relay.post('ci', { image: 'acme/api', tag: 'v1.2.3_build.7' })).statusCode).toBe(202);
  });

  it('a Quay push of 10,000 tags to one job makes one deployment and lists a bounded number of the others', async () => {
    relay = await startTestRelay(
      `
sources:
  - name: quay
    type: quay
    token: quay-test-token-7f3a9c
routes:
  - name: app
    source: quay
    match: { image: quay.io/acme/app }
    target: { jobId: ${JOB} }
    deploy: tag
`,
      { RELAY_ROLE: 'api', WEBHOOK_BODY_LIMIT_BYTES: 1024 * 1024 },
    );
    const tags = Array.from({ length: 10_000 }, (_, i) => `v${i}`);
    const body = {
      repository: 'acme/app',
      namespace: 'acme',
      name: 'app',
      docker_url: 'quay.io/acme/app',
      homepage: 'https://quay.io/repository/acme/app',
      updated_tags: tags,
    };
    const response = await relay.post('quay', body);
    expect(response.statusCode, JSON.stringify(response.json).slice(0, 200)).toBe(202);
    expect(response.json.deployments).toHaveLength(1);
    expect(response.json.skipped.length).toBeLessThanOrEqual(21);
    expect(response.json.skipped.at(-1)).toMatch(/^and \d+ more$/);
    expect(await relay.redis.zcard(`${relay.prefix}:deps`)).toBe(1);
  });
});
