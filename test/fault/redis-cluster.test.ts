import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerHubPush } from '../support/payloads.js';
import { freePort } from '../support/redis-provision.js';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';
import { startWorkerFleet, type WorkerFleet } from '../support/relay-process.js';
import type { TestRelay } from '../support/relay.js';

/**
 * The relay on a Redis Cluster of three masters with a replica each: two API processes (the
 * test's own and a spawned one) and two worker processes, on a hash-tagged prefix so every
 * script's keys share one slot. The master of that slot is killed while deployments are being
 * followed; its replica takes over, and every deployment still ends with exactly one deploy call.
 */
const TOKEN = 'hub-token-for-tests-0123';
const SERVICES = 12;
const serviceId = (n: number) => `00000000-0000-4000-8000-${(0xe00 + n).toString(16).padStart(12, '0')}`;
const RULES = `
sources:
  - name: hub
    type: dockerhub
    token: ${TOKEN}
routes:
${Array.from({ length: SERVICES }, (_, n) => `  - { name: svc-${n}, source: hub, match: { image: acme/svc-${n} }, target: { containerId: ${serviceId(n)} }, deploy: tag }`).join('\n')}
`;

let cluster: TestCluster | undefined;
let fleet: WorkerFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
  await cluster?.stop();
  cluster = undefined;
});

/** Posts until the relay answers 202 or 200 (a retry of a stored one): a sender retries a 503. */
async function pushUntilStored(post: () => Promise<{ statusCode: number; json: any }>): Promise<string> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const answer = await post();
    if (answer.statusCode === 202 || answer.statusCode === 200) return answer.json.deployments[0].id as string;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the relay never stored the push');
}

async function statusOf(relay: TestRelay, id: string): Promise<string | undefined> {
  return (await relay.get(`/deployments/${id}`)).json.status;
}

describe('Redis Cluster', () => {
  it('two API processes and two workers on three masters lose and double nothing when the master of their slot fails over', async () => {
    cluster = await startTestCluster();
    const prefix = `{t${randomUUID().slice(0, 8)}}`;
    fleet = await startWorkerFleet(RULES, {}, { url: cluster.url, prefix });
    const { relay } = fleet;
    relay.fake.scriptStatus('*', [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'DEPLOYING', reads: 40 }, { state: 'DEPLOYED' }]);
    const workers = [fleet.spawnWorker(), fleet.spawnWorker()];
    const apiPort = await freePort();
    const api = fleet.spawnWorker({ RELAY_ROLE: 'api', PORT: String(apiPort), HOST: '127.0.0.1' });
    const viaSpawned = async (n: number, tag: string) => {
      const response = await fetch(`http://127.0.0.1:${apiPort}/webhooks/hub/${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(dockerHubPush({ repository: `acme/svc-${n}`, tag })),
      }).catch(() => undefined);
      return { statusCode: response?.status ?? 0, json: response ? await response.json().catch(() => undefined) : undefined };
    };
    const push = (n: number, tag: string) =>
      n % 2 === 0 ? relay.post('hub', dockerHubPush({ repository: `acme/svc-${n}`, tag }), {}, { pathToken: TOKEN }) : viaSpawned(n, tag);

    const ids: string[] = [];
    for (let n = 0; n < SERVICES; n++) ids.push(await pushUntilStored(() => push(n, '1.0.0')));
    // Every deployment handed to Qovery and being followed: then the slot's master dies.
    await expect.poll(() => relay.fake.deployCalls().length, { timeout: 30_000 }).toBe(SERVICES);
    const victim = await cluster.masterOf(prefix);
    const node = cluster.nodes.find((n) => n.port === victim);
    node?.process.kill('SIGKILL');
    await expect.poll(() => cluster?.masterOf(prefix), { timeout: 20_000, interval: 200 }).not.toBe(victim);

    // More pushes after the failover, through both API processes.
    for (let n = 0; n < SERVICES; n++) ids.push(await pushUntilStored(() => push(n, '1.0.1')));
    await expect
      .poll(async () => (await Promise.all(ids.map((id) => statusOf(relay, id)))).filter((s) => s !== 'succeeded' && s !== 'superseded'), {
        timeout: 60_000,
        interval: 500,
      })
      .toEqual([]);
    for (const w of [...workers, api]) expect(w.child.exitCode, w.output()).toBeNull();
    // One deploy call per deployment that reached Qovery, and none for a service twice at once.
    const calls = relay.fake.deployCalls();
    const perCommitTag = new Map<string, number>();
    for (const call of calls)
      perCommitTag.set(`${call.path} ${JSON.stringify(call.body)}`, (perCommitTag.get(`${call.path} ${JSON.stringify(call.body)}`) ?? 0) + 1);
    expect([...perCommitTag.values()].every((count) => count === 1)).toBe(true);
    expect(Math.max(...Array.from({ length: SERVICES }, (_, n) => relay.fake.maxConcurrentDeploys(serviceId(n))))).toBeLessThanOrEqual(1);
    const finals = await Promise.all(ids.map((id) => statusOf(relay, id)));
    console.log(
      `[redis-cluster] killed master ${victim}; ${ids.length} deployments: ${JSON.stringify(Object.fromEntries([...new Set(finals)].map((s) => [s, finals.filter((f) => f === s).length])))}; deploy calls ${calls.length}`,
    );
    expect(finals.slice(SERVICES).every((s) => s === 'succeeded')).toBe(true);
  }, 180_000);
});
