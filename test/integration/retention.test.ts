import { afterEach, describe, expect, it } from 'vitest';
import { relayKeys } from '../../src/redis/keys.js';
import { DEPLOY_QUEUE, NOTIFY_QUEUE } from '../../src/queue/jobs.js';
import { githubPush } from '../support/payloads.js';
import { commitRules } from '../support/rules.js';
import { startTestRelay, type TestRelay } from '../support/relay.js';

const JOB = '00000000-0000-4000-8000-0000000000c1';
const RULES = commitRules({ source: 'github', routes: [{ jobId: JOB }] });

let relay: TestRelay;
afterEach(async () => relay?.close());

async function everyKey(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await relay.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found.sort();
}

describe('retention through the relay', () => {
  it('gives every key a push, its deployment followed to succeeded, a duplicate and an ignored push create an expiry', async () => {
    relay = await startTestRelay(RULES);
    const keys = relayKeys(relay.prefix);
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: 'c'.repeat(40) });
    const accepted = await relay.post('github', push.body, push.headers);
    expect(accepted.statusCode).toBe(202);
    const id: string = accepted.json.deployments[0].id;
    await expect.poll(async () => (await relay.get(`/deployments/${id}`)).json.status, { timeout: 15_000 }).toBe('succeeded');
    expect((await relay.post('github', push.body, push.headers)).json.duplicate).toBe(true);
    const other = githubPush({ repository: 'acme/api', branch: 'dev', commit: 'd'.repeat(40) });
    expect((await relay.post('github', other.body, other.headers)).json.ignored).toBeDefined();
    expect((await relay.get(`/deliveries/${accepted.json.deliveryId}`)).json.id).toBe(accepted.json.deliveryId);
    // The follow set holds what is in flight only: it empties at the check after the last deployment ends.
    await expect.poll(async () => relay.redis.exists(keys.followDue)).toBe(0);

    const queueHeads = [DEPLOY_QUEUE, NOTIFY_QUEUE].map((queue) => `${keys.queuePrefix}:${queue}:`);
    const owned = (await everyKey(relay.prefix)).filter(
      // BullMQ manages its own keys; the job's last deploy (one hash per Qovery job in the rules,
      // not per delivery) carries the never-downgrade guard and is bounded by the rules file.
      (key) => !queueHeads.some((head) => key.startsWith(head)) && key !== keys.jobLast(JOB),
    );
    const ttls = await Promise.all(owned.map(async (key) => [key, await relay.redis.pttl(key)] as const));
    expect(owned).toContain(keys.deployment(id));
    expect(owned).toContain(keys.transitions(id));
    expect(ttls.filter(([, ttl]) => ttl < 0)).toEqual([]);
  });

  it('removes a deploy job from the queue once it completed', async () => {
    relay = await startTestRelay(RULES);
    const keys = relayKeys(relay.prefix);
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: 'e'.repeat(40) });
    const id: string = (await relay.post('github', push.body, push.headers)).json.deployments[0].id;
    await expect.poll(async () => (await relay.get(`/deployments/${id}`)).json.status, { timeout: 15_000 }).toBe('succeeded');

    const job = `${keys.queuePrefix}:${DEPLOY_QUEUE}:${id}`;
    const completed = `${keys.queuePrefix}:${DEPLOY_QUEUE}:completed`;
    await expect.poll(async () => [await relay.redis.exists(job), await relay.redis.zcard(completed)], { timeout: 10_000 }).toEqual([0, 0]);
  });
});
