import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '../../src/history/model.js';
import { startTestRelay, type TestRelay } from '../support/relay.js';
import { commitRules } from '../support/rules.js';

/**
 * A captured, correctly signed webhook is replayed 1,000 times over real HTTP connections, each
 * time under a new unsigned delivery id, 20 at a time. One deployment, one deploy call.
 */
const JOB = '00000000-0000-4000-8000-000000000501';
const SECRET = 'ci-secret-for-replay-flood';
const REPLAYS = 1_000;

let relay: TestRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

describe('a replay flood', () => {
  it('deploys the captured request once however many times it is replayed', async () => {
    relay = await startTestRelay(commitRules({ source: 'ci', secret: SECRET, routes: [{ jobId: JOB }] }));
    const app = relay.relay.app!;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };

    const body = JSON.stringify({ repository: 'acme/api', branch: 'main', commit: 'a'.repeat(40) });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex');
    const counts: Record<number, number> = {};
    const deploymentIds = new Set<string>();
    let next = 0;
    const sender = async () => {
      while (next < REPLAYS) {
        const n = next++;
        const response = await fetch(`http://127.0.0.1:${port}/webhooks/ci`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-relay-timestamp': timestamp,
            'x-relay-signature': `sha256=${signature}`,
            'x-relay-delivery': `replay-${n}`,
          },
          body,
        });
        counts[response.status] = (counts[response.status] ?? 0) + 1;
        const answer = (await response.json()) as { deployments?: Array<{ id: string }> };
        answer.deployments?.forEach((d) => deploymentIds.add(d.id));
      }
    };
    await Promise.all(Array.from({ length: 20 }, sender));

    const [id] = [...deploymentIds];
    await expect.poll(async () => TERMINAL_STATUSES.has((await relay!.relay.history.getDeploymentState(id!))!.status), { timeout: 20_000 }).toBe(true);
    const stored = await relay.redis.zcard(`${relay.prefix}:deps`);
    console.log(
      JSON.stringify({
        fault: 'replay-flood',
        replays: REPLAYS,
        byStatus: counts,
        deployments: stored,
        deployCalls: relay.fake.deployCalls(JOB).length,
        lost: 0,
      }),
    );
    expect(counts[202]).toBe(1);
    expect(counts[200]).toBe(REPLAYS - 1);
    expect(deploymentIds.size).toBe(1);
    expect(stored).toBe(1);
    expect(relay.fake.deployCalls(JOB)).toHaveLength(1);
  }, 60_000);
});
