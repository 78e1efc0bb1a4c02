import { createHmac } from 'node:crypto';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotifyDispatcher, NOTIFY_GROUP } from '../../src/notify/dispatcher.js';
import { notificationPayloadSchema } from '../../src/notify/messages.js';
import { NOTIFY_QUEUE, type NotifyJobData } from '../../src/queue/jobs.js';
import { relayKeys } from '../../src/redis/keys.js';
import { FAKE_GIT_TOKEN, startFakeNotifyReceivers, type FakeNotifyReceivers } from '../fakes/fake-notify-receivers.js';
import { loadFixture } from '../support/fixtures.js';
import { githubPush } from '../support/payloads.js';
import { deploymentWhen, startTestRelay, type TestRelay } from '../support/relay.js';

/** Slack, a signed webhook and commit statuses on the four git hosts, all received by real HTTP fakes. */
const JOB = '00000000-0000-4000-8000-0000000000a1';
const PUBLIC_URL = 'https://relay.example.com';
const WEBHOOK_SECRET = 'webhook-secret-0123456789';

let relay: TestRelay | undefined;
let receivers: FakeNotifyReceivers;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await receivers?.close();
});

const commit = (c: string) => c.repeat(40).slice(0, 40);
/** Notifications go through a queue with retries: on a loaded machine that takes seconds. */
const WAIT = { timeout: 10_000 };

function rules(notifications: string, routes = ''): string {
  const at = receivers.url;
  return `
sources:
  - name: github
    type: github
    secret: gh-secret-for-tests
    commitStatus: { token: ${FAKE_GIT_TOKEN}, apiUrl: ${at}/github }
  - name: gitlab
    type: gitlab
    token: gl-test-secret-token
    commitStatus: { token: ${FAKE_GIT_TOKEN}, apiUrl: ${at}/gitlab/api/v4 }
  - name: gitea
    type: gitea
    secret: gitea-test-secret
    commitStatus: { token: ${FAKE_GIT_TOKEN}, apiUrl: ${at}/gitea/api/v1 }
  - name: bitbucket
    type: bitbucket
    secret: bb-test-secret
    commitStatus: { token: ${FAKE_GIT_TOKEN}, apiUrl: ${at}/bitbucket/2.0 }
routes:
  - name: api-main
    source: github
    match: { repository: acme/api, branch: main }
    target: { jobId: ${JOB} }
    deploy: commit
  - name: gitlab-main
    source: gitlab
    match: { branch: main }
    target: { jobId: ${JOB} }
    deploy: commit
  - name: gitea-main
    source: gitea
    match: { branch: main }
    target: { jobId: ${JOB} }
    deploy: commit
  - name: bitbucket-main
    source: bitbucket
    match: { branch: main }
    target: { jobId: ${JOB} }
    deploy: commit${routes}
notifications:${notifications}
`;
}

const SLACK_AND_WEBHOOK = `
  - name: team-slack
    slack: { url: RECEIVERS/slack/T000/B000/XXXX }
  - name: audit
    on: [accepted, succeeded, failed]
    webhook: { url: RECEIVERS/hook/audit, secret: ${WEBHOOK_SECRET} }`;

async function start(notifications = SLACK_AND_WEBHOOK, overrides = {}): Promise<TestRelay> {
  receivers ??= await startFakeNotifyReceivers();
  relay = await startTestRelay(rules(notifications.replaceAll('RECEIVERS', receivers.url)), { RELAY_PUBLIC_URL: PUBLIC_URL, ...overrides });
  return relay;
}

async function pushGithub(c: string, timestamp?: string): Promise<string> {
  const push = githubPush({ repository: 'acme/api', branch: 'main', commit: commit(c), ...(timestamp !== undefined && { timestamp }) });
  const answer = await relay!.post('github', push.body, push.headers);
  expect(answer.statusCode).toBe(202);
  return answer.json.deployments[0].id as string;
}

/** The deployment's notification attempts once `done` holds for them. */
async function notificationsWhen(id: string, done: (attempts: any[]) => boolean): Promise<any[]> {
  let attempts: any[] = [];
  await expect.poll(async () => ((attempts = (await relay!.get(`/deployments/${id}`)).json.notifications), done(attempts)), WAIT).toBe(true);
  return attempts;
}

describe('notifications', () => {
  it('tells Slack what changed (target, old -> new version, status, link) and posts the signed event to a webhook', async () => {
    receivers = await startFakeNotifyReceivers();
    await start();
    const first = await pushGithub('a');
    await deploymentWhen(relay!, first);
    await expect.poll(() => receivers.received('/slack/').length, WAIT).toBe(1);
    const second = await pushGithub('b');
    await deploymentWhen(relay!, second);
    await expect.poll(() => receivers.received('/slack/').length, WAIT).toBe(2);

    const text = receivers.received('/slack/')[1]!.body.text as string;
    expect(text).toContain('*succeeded*');
    expect(text).toContain('route `api-main`');
    expect(text).toContain(`job \`${JOB}\``);
    expect(text).toContain(`\`${commit('a').slice(0, 12)}\` → \`${commit('b').slice(0, 12)}\``);
    expect(text).toContain(`<${PUBLIC_URL}/#/deployments/${second}|Open deployment ${second}>`);

    // accepted and succeeded for each deployment: four signed posts.
    await expect.poll(() => receivers.received('/hook/audit').length, WAIT).toBe(4);
    for (const request of receivers.received('/hook/audit')) {
      const expected = createHmac('sha256', WEBHOOK_SECRET).update(request.raw).digest('hex');
      expect(request.headers['x-relay-signature']).toBe(`sha256=${expected}`);
      const payload = notificationPayloadSchema.parse(request.body);
      expect(request.headers['x-relay-event-id']).toBe(payload.eventId);
      expect(payload.notification).toBe('audit');
    }
    const last = notificationPayloadSchema.parse(receivers.received('/hook/audit').at(-1)!.body);
    expect(last).toMatchObject({
      event: { type: 'deployment', id: second, status: 'succeeded' },
      deployment: { id: second, route: 'api-main', target: { kind: 'job', id: JOB }, gitCommitId: commit('b') },
      version: commit('b').slice(0, 12),
      previousVersion: commit('a').slice(0, 12),
      url: `${PUBLIC_URL}/#/deployments/${second}`,
    });

    // Slack once (succeeded), the webhook and the commit status twice each (accepted, succeeded).
    const attempts = await notificationsWhen(second, (a) => a.filter((n) => n.result === 'sent').length === 5);
    expect(attempts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'slack', name: 'team-slack', status: 'succeeded', result: 'sent', attempt: 1, httpStatus: 200 }),
        expect.objectContaining({ kind: 'webhook', name: 'audit', status: 'accepted', result: 'sent', httpStatus: 204 }),
        expect.objectContaining({ kind: 'commit-status', name: 'github', status: 'succeeded', result: 'sent', httpStatus: 201 }),
      ]),
    );
  });

  it('a receiver answering 500 is retried and never changes the deployment; one that keeps failing is given up and recorded', async () => {
    receivers = await startFakeNotifyReceivers();
    receivers.failNext('/slack/', 500, 2);
    receivers.failNext('/hook/audit', 500, 100);
    await start();
    const id = await pushGithub('c');
    const deployment = await deploymentWhen(relay!, id);

    const attempts = await notificationsWhen(
      id,
      (a) => a.some((n) => n.kind === 'slack' && n.result === 'sent') && a.filter((n) => n.kind === 'webhook' && n.result === 'failed').length === 2,
    );
    const slack = attempts.filter((n) => n.kind === 'slack');
    expect(slack.map((n) => [n.result, n.attempt, n.httpStatus])).toEqual([
      ['retrying', 1, 500],
      ['retrying', 2, 500],
      ['sent', 3, 200],
    ]);
    expect(slack[0].detail).toBe('HTTP 500: upstream trouble');
    // NOTIFY_MAX_ATTEMPTS is 4 in tests: the accepted and the succeeded event each tried four times.
    expect(attempts.filter((n) => n.kind === 'webhook').map((n) => n.result)).toEqual([
      ...Array(3).fill('retrying'),
      'failed',
      ...Array(3).fill('retrying'),
      'failed',
    ]);

    const after = (await relay!.get(`/deployments/${id}`)).json;
    expect(after.status).toBe('succeeded');
    expect(after.transitions).toEqual(deployment.transitions);
    const metrics = await relay!.relay.app!.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/relay_notifications_total\{kind="webhook",result="failed"\} 2/);
  });

  it('an answer that would be refused again (4xx) is not retried; a 429 waits for its Retry-After', async () => {
    receivers = await startFakeNotifyReceivers();
    receivers.failNext('/slack/', 404, 1);
    receivers.failNext('/hook/audit', 429, 1, 0);
    await start();
    const id = await pushGithub('d');
    await deploymentWhen(relay!, id);
    const attempts = await notificationsWhen(
      id,
      (a) => a.some((n) => n.kind === 'slack') && a.filter((n) => n.kind === 'webhook' && n.result === 'sent').length === 2,
    );
    expect(attempts.filter((n) => n.kind === 'slack').map((n) => [n.result, n.httpStatus])).toEqual([['failed', 404]]);
    expect(attempts.filter((n) => n.kind === 'webhook').map((n) => [n.result, n.httpStatus])).toEqual(
      expect.arrayContaining([
        ['retrying', 429],
        ['sent', 204],
      ]),
    );
  });

  it('says nothing of no-op outcomes unless asked, and keeps to its routes', async () => {
    receivers = await startFakeNotifyReceivers();
    const notifications = `
  - name: everything-else
    routes: [gitlab-main]
    webhook: { url: RECEIVERS/hook/gitlab-only, secret: ${WEBHOOK_SECRET} }
  - name: noops
    on: [ignored]
    webhook: { url: RECEIVERS/hook/noops, secret: ${WEBHOOK_SECRET} }`;
    await start(notifications);
    const id = await pushGithub('e', '2026-11-20T12:00:00Z');
    await deploymentWhen(relay!, id);
    // A push older than the one deployed deploys nothing: ignored, which only "noops" asked for.
    const again = await pushGithub('8', '2026-11-20T11:00:00Z');
    const ignored = await deploymentWhen(relay!, again, 'ignored');
    await expect.poll(() => receivers.received('/hook/noops').length, WAIT).toBe(1);
    expect(receivers.received('/hook/noops')[0]!.body).toMatchObject({ event: { id: ignored.id, status: 'ignored' }, deployment: { reason: ignored.reason } });
    // The deployed one's statuses were set on GitHub by then (the ignored one never reached Qovery: none); no route of these is gitlab-main.
    await expect.poll(() => receivers.statuses.map((s) => s.state), WAIT).toEqual(['pending', 'success']);
    expect(receivers.received('/hook/gitlab-only')).toHaveLength(0);
  });
});

describe('commit statuses', () => {
  it('GitHub: pending when Qovery accepts, success at the end, context deploy-relay/<route>, linked to the dashboard', async () => {
    receivers = await startFakeNotifyReceivers();
    await start('  []');
    const id = await pushGithub('f');
    await deploymentWhen(relay!, id);
    await expect.poll(() => receivers.statuses.map((s) => s.state), WAIT).toEqual(['pending', 'success']);
    expect(receivers.statuses[1]).toEqual({
      host: 'github',
      repository: 'acme/api',
      sha: commit('f'),
      state: 'success',
      context: 'deploy-relay/api-main',
      description: `Deployed ${commit('f').slice(0, 12)} to job ${JOB}`,
      targetUrl: `${PUBLIC_URL}/#/deployments/${id}`,
    });
  });

  it('GitHub: failure when Qovery fails the deploy, with the reason', async () => {
    receivers = await startFakeNotifyReceivers();
    await start('  []');
    relay!.fake.scriptStatus(JOB, [{ state: 'DEPLOYING' }, { state: 'DEPLOYMENT_ERROR' }]);
    const id = await pushGithub('9');
    const failed = await deploymentWhen(relay!, id, 'failed');
    await expect.poll(() => receivers.statuses.map((s) => s.state), WAIT).toEqual(['pending', 'failure']);
    expect(receivers.statuses[1]!.description).toBe(`Failed: ${failed.reason}`.slice(0, 140));
  });

  it.each([
    ['gitlab', 'gitlab-main', 'acme/platform/api', 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', ['pending', 'success']],
    ['gitea', 'gitea-main', 'acme/api', '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', ['pending', 'success']],
    ['bitbucket', 'bitbucket-main', 'acme/api', '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', ['INPROGRESS', 'SUCCESSFUL']],
  ] as const)('%s: the same statuses in its own API shape', async (type, route, repository, sha, states) => {
    receivers = await startFakeNotifyReceivers();
    await start('  []');
    const fixture = loadFixture(type, 'push-branch.json');
    const answer = await relay!.post(type, fixture.body, fixture.headers);
    expect(answer.statusCode).toBe(202);
    await deploymentWhen(relay!, answer.json.deployments[0].id);
    await expect.poll(() => receivers.statuses.map((s) => s.state), WAIT).toEqual(states);
    expect(receivers.statuses[1]).toMatchObject({ host: type, repository, sha, context: `deploy-relay/${route}` });
  });

  it('a git host that refuses the token is recorded as failed; the deployment still succeeds', async () => {
    receivers = await startFakeNotifyReceivers();
    receivers.failNext('/github/', 401, 100);
    await start('  []');
    const id = await pushGithub('7');
    await deploymentWhen(relay!, id);
    const attempts = await notificationsWhen(id, (a) => a.length === 2);
    expect(attempts.map((n) => [n.kind, n.status, n.result, n.httpStatus])).toEqual([
      ['commit-status', 'accepted', 'failed', 401],
      ['commit-status', 'succeeded', 'failed', 401],
    ]);
    expect((await relay!.get(`/deployments/${id}`)).json.status).toBe('succeeded');
  });
});

describe('dispatch from the events stream', () => {
  it('entries a dead worker read and never acknowledged are taken over, and queue nothing twice', async () => {
    receivers = await startFakeNotifyReceivers();
    await start();
    const id = await pushGithub('5');
    await deploymentWhen(relay!, id);
    await notificationsWhen(id, (a) => a.filter((n) => n.result === 'sent').length === 5);
    const before = receivers.requests.length;

    // A worker that read every entry again, then died before acknowledging any.
    const key = relayKeys(relay!.prefix).events;
    await relay!.redis.multi().xgroup('SETID', key, NOTIFY_GROUP, '0').xreadgroup('GROUP', NOTIFY_GROUP, 'dead-worker', 'STREAMS', key, '>').exec();
    const pending = async () => Number(((await relay!.redis.xpending(key, NOTIFY_GROUP)) as [number])[0]);
    expect(await pending()).toBeGreaterThan(0);

    const queue = new Queue<NotifyJobData>(NOTIFY_QUEUE, { connection: relay!.redis.duplicate(), prefix: relay!.prefix });
    const taker = createNotifyDispatcher({
      redis: relay!.redis,
      openReader: () => relay!.redis.duplicate(),
      key,
      consumer: 'taker',
      queue,
      history: relay!.relay.history,
      rules: relay!.relay.rules,
      maxAttempts: 4,
      logger: pino({ level: 'silent' }),
      claim: { idleMs: 50, everyMs: 100 },
    });
    try {
      await expect.poll(pending, WAIT).toBe(0);
      expect(receivers.requests.length).toBe(before);
      expect((await relay!.get(`/deployments/${id}`)).json.notifications.filter((n: any) => n.result === 'sent')).toHaveLength(5);
    } finally {
      await taker.stop();
      await queue.close();
    }
  });
});
