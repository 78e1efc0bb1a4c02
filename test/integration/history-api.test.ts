import { afterEach, describe, expect, it } from 'vitest';
import { API_TOKEN, startTestRelay, type TestRelay } from '../support/relay.js';
import { githubPush } from '../support/payloads.js';

const JOB_A = '00000000-0000-4000-8000-00000000000a';
const JOB_B = '00000000-0000-4000-8000-00000000000b';
const RULES = `
sources:
  - name: github
    type: github
    secret: gh-secret-for-tests
routes:
  - name: route-a
    source: github
    match: { repository: acme/a }
    target: { jobId: ${JOB_A} }
    deploy: commit
  - name: route-b
    source: github
    match: { repository: acme/b }
    target: { jobId: ${JOB_B} }
    deploy: commit
`;

let relay: TestRelay;
afterEach(async () => relay?.close());

const commit = (n: number) => (n + 1).toString(16).padStart(40, 'a');

async function pushMany(count: number, repository: string, offset = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const push = githubPush({ repository, branch: `b${i}`, commit: commit(offset + i) });
    const response = await relay.post('github', push.body, push.headers);
    expect(response.json.deployments, JSON.stringify(response.json)).toHaveLength(1);
    ids.push(response.json.deployments[0].id);
  }
  return ids;
}

describe('the history API', () => {
  it('answers 401 to everyone, saying why, when RELAY_API_TOKEN is not set', async () => {
    relay = await startTestRelay(RULES, { RELAY_API_TOKEN: undefined });
    const response = await relay.get('/deployments', API_TOKEN);
    expect(response.statusCode).toBe(401);
    expect(response.json.code).toBe('RELAY_API_TOKEN_UNSET');
    expect(response.json.message).toContain('RELAY_API_TOKEN');
  });

  it('refuses a missing or wrong bearer token', async () => {
    relay = await startTestRelay(RULES);
    for (const token of [null, 'wrong-token-of-some-length']) {
      const response = await relay.get('/deliveries', token);
      expect(response.statusCode).toBe(401);
      expect(response.json.code).toBe('RELAY_UNAUTHORIZED');
    }
  });

  it('filters deployments by job, route and status, newest first, and pages with a cursor without gaps or repeats', async () => {
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    const a = await pushMany(7, 'acme/a');
    const b = await pushMany(3, 'acme/b', 100);

    const byJob = (await relay.get(`/deployments?jobId=${JOB_B}`)).json;
    expect(byJob.deployments.map((d: any) => d.id)).toEqual([...b].reverse());
    expect(byJob.nextCursor).toBeNull();
    expect((await relay.get('/deployments?route=route-a&status=queued&limit=100')).json.deployments).toHaveLength(7);
    expect((await relay.get('/deployments?status=succeeded')).json.deployments).toEqual([]);
    expect((await relay.get('/deployments?source=github&limit=100')).json.deployments).toHaveLength(10);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await relay.get(`/deployments?route=route-a&limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json;
      expect(page.deployments.length).toBeLessThanOrEqual(3);
      seen.push(...page.deployments.map((d: any) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...a].reverse());

    const one = (await relay.get(`/deployments/${a[0]}`)).json;
    expect(one).toMatchObject({
      id: a[0],
      route: 'route-a',
      source: 'github',
      jobId: JOB_A,
      gitCommitId: commit(0),
      status: 'queued',
      attempts: 0,
      transitions: [{ status: 'queued' }],
    });
    expect(Object.keys(one)).toEqual(expect.arrayContaining(['deliveryId', 'createdAt', 'updatedAt']));
  });

  it('names a bad filter or cursor with a 400 and an unknown id with a 404', async () => {
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    const badStatus = await relay.get('/deployments?status=done');
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.json.message).toContain('status');
    expect((await relay.get('/deployments?cursor=nonsense')).json.code).toBe('RELAY_BAD_REQUEST');
    expect((await relay.get('/deployments?limit=0')).statusCode).toBe(400);
    expect((await relay.get('/deployments/dep_unknown')).statusCode).toBe(404);
    expect((await relay.get('/deliveries/nope')).json.code).toBe('RELAY_NOT_FOUND');
  });

  it('lists deliveries with what was read from them and filters by outcome', async () => {
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    await pushMany(2, 'acme/a');
    const ignored = githubPush({ repository: 'acme/zzz', branch: 'main', commit: commit(9) });
    await relay.post('github', ignored.body, ignored.headers);
    const all = (await relay.get('/deliveries')).json.deliveries;
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({
      id: ignored.headers['x-github-delivery'],
      outcome: 'ignored',
      read: [{ repository: 'acme/zzz', branch: 'main', commit: commit(9) }],
    });
    expect((await relay.get('/deliveries?outcome=accepted')).json.deliveries).toHaveLength(2);
  });

  it('filters deliveries and deployments by arrival time, both ends included', async () => {
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    await pushMany(4, 'acme/a');
    const all = (await relay.get('/deliveries')).json.deliveries as Array<{ receivedAt: string; deploymentIds: string[] }>;
    const [since, until] = [all[2]!.receivedAt, all[1]!.receivedAt];
    const within = all.filter((d) => d.receivedAt >= since && d.receivedAt <= until);
    const windowed = (await relay.get(`/deliveries?since=${since}&until=${until}`)).json.deliveries;
    expect(windowed).toEqual(within);
    expect(windowed.length).toBeGreaterThanOrEqual(2);
    const deployments = (await relay.get(`/deployments?since=${since}&until=${until}&route=route-a`)).json.deployments;
    expect(deployments.map((d: { id: string }) => d.id)).toEqual(within.flatMap((d) => d.deploymentIds));
    expect((await relay.get('/deliveries?since=yesterday')).json).toMatchObject({ code: 'RELAY_BAD_REQUEST', message: expect.stringContaining('since') });
  });
});
