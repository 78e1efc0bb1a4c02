import { Queue } from 'bullmq';
import { afterEach, expect, it } from 'vitest';
import { NOTIFY_QUEUE, type NotifyJobData } from '../../src/queue/jobs.js';
import { FAKE_GIT_TOKEN, startFakeNotifyReceivers, type FakeNotifyReceivers } from '../fakes/fake-notify-receivers.js';
import { githubPush } from '../support/payloads.js';
import { deploymentWhen, startTestRelay, type TestRelay } from '../support/relay.js';

/** Commit statuses draw from a budget per git-host token: over it they wait in the queue, unspent attempts, and are not dropped. */
const JOB = '00000000-0000-4000-8000-0000000000c1';
let relay: TestRelay | undefined;
let receivers: FakeNotifyReceivers | undefined;
let queue: Queue<NotifyJobData> | undefined;
afterEach(async () => {
  await queue?.close();
  await relay?.close();
  await receivers?.close();
});

it('a status over the budget waits (delayed, no attempt spent) and is sent once the budget allows', async () => {
  receivers = await startFakeNotifyReceivers();
  // 60 an hour: a bucket of one call, refilled about once a minute.
  relay = await startTestRelay(
    `
sources:
  - name: github
    type: github
    secret: gh-secret-for-tests
    commitStatus: { token: ${FAKE_GIT_TOKEN}, apiUrl: ${receivers.url}/github }
routes:
  - name: api-main
    source: github
    match: { repository: acme/api, branch: main }
    target: { jobId: ${JOB} }
    deploy: commit
`,
    { COMMIT_STATUS_MAX_REQUESTS_PER_HOUR: 60 },
  );
  const push = githubPush({ repository: 'acme/api', branch: 'main', commit: 'c'.repeat(40) });
  const id = (await relay.post('github', push.body, push.headers)).json.deployments[0].id as string;
  await deploymentWhen(relay, id);
  await expect.poll(() => receivers!.statuses.map((s) => s.state), { timeout: 10_000 }).toEqual(['pending']);

  queue = new Queue<NotifyJobData>(NOTIFY_QUEUE, { connection: relay.redis.duplicate(), prefix: relay.prefix });
  let waiting: Awaited<ReturnType<typeof queue.getDelayed>>[number] | undefined;
  await expect
    .poll(async () => ((waiting = (await queue!.getDelayed()).find((job) => job.data.status === 'succeeded')), waiting !== undefined), { timeout: 10_000 })
    .toBe(true);
  expect(waiting!.attemptsMade).toBe(0);
  expect(waiting!.delay).toBeGreaterThan(30_000);
  expect((await relay.get(`/deployments/${id}`)).json.notifications.map((n: any) => [n.status, n.result])).toEqual([['accepted', 'sent']]);

  // The budget refilled (as a minute would): the waiting status goes out, first time.
  for (const key of await relay.redis.keys(`${relay.prefix}:commit-status:budget:*`)) await relay.redis.hset(key, 'tokens', '1');
  await waiting!.promote();
  await expect.poll(() => receivers!.statuses.map((s) => s.state), { timeout: 10_000 }).toEqual(['pending', 'success']);
  await expect
    .poll(async () => (await relay!.get(`/deployments/${id}`)).json.notifications.map((n: any) => [n.status, n.result, n.attempt]), { timeout: 10_000 })
    .toEqual([
      ['accepted', 'sent', 1],
      ['succeeded', 'sent', 1],
    ]);
});
