import { afterEach, describe, expect, it } from 'vitest';
import { sample, scrape } from '../support/metrics.js';
import { dockerHubPush } from '../support/payloads.js';
import { deploymentWhen, startTestRelay, type TestRelay } from '../support/relay.js';

/**
 * Following is batched by Qovery environment: every deployment in flight in one environment is
 * followed by one `GET /environment/{id}/statuses` per poll interval, whatever their number.
 */
const POLL_MS = 200;
const SERVICES = 12;
const ENVIRONMENTS = ['00000000-0000-4000-8000-00000000ee01', '00000000-0000-4000-8000-00000000ee02'];
const serviceId = (n: number) => `00000000-0000-4000-8000-${(0xc00 + n).toString(16).padStart(12, '0')}`;
const environmentOf = (n: number) => ENVIRONMENTS[n % ENVIRONMENTS.length] as string;

const RULES = `
sources:
  - name: hub
    type: dockerhub
    token: hub-token-for-tests-0123
routes:
${Array.from({ length: SERVICES }, (_, n) => `  - { name: svc-${n}, source: hub, match: { image: acme/svc-${n} }, target: { containerId: ${serviceId(n)} }, deploy: tag }`).join('\n')}
`;

let relay: TestRelay;
afterEach(async () => {
  await relay?.close();
  relay = undefined as never;
});

async function pushAll(tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < SERVICES; n++) {
    const response = await relay.post('hub', dockerHubPush({ repository: `acme/svc-${n}`, tag }));
    expect(response.statusCode).toBe(202);
    ids.push(response.json.deployments[0].id);
  }
  return ids;
}

describe('following is batched by environment', () => {
  it('follows a dozen services in two environments with one statuses read per environment per interval', async () => {
    relay = await startTestRelay(RULES, { QOVERY_POLL_INTERVAL_MS: POLL_MS });
    for (let n = 0; n < SERVICES; n++) relay.fake.placeService('container', serviceId(n), environmentOf(n));
    relay.fake.scriptStatus('*', [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'DEPLOYING', reads: 2 }, { state: 'DEPLOYED' }]);
    const ids = await pushAll('1.0.0');
    for (const id of ids) await deploymentWhen(relay, id);

    // Each service's environment is learned once, and no service is read at its own endpoint.
    expect(relay.fake.lookupCalls()).toHaveLength(SERVICES);
    expect(relay.fake.requests.filter((r) => r.path.endsWith('/status'))).toEqual([]);
    for (const environment of ENVIRONMENTS) {
      const reads = relay.fake.environmentStatusCalls(environment).map((r) => r.at);
      expect(reads.length).toBeGreaterThan(0);
      const gaps = reads.slice(1).map((at, i) => at - (reads[i] as number));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(POLL_MS);
    }
    // Far fewer reads than deployments: six services share each environment's reads.
    expect(relay.fake.environmentStatusCalls().length).toBeLessThan(SERVICES * 4);

    // A second round knows every environment already: no more lookups.
    const again = await pushAll('1.0.1');
    for (const id of again) await deploymentWhen(relay, id);
    expect(relay.fake.lookupCalls()).toHaveLength(SERVICES);
  });

  it('reads a service at its own status endpoint when its environment cannot be read', async () => {
    relay = await startTestRelay(RULES, { QOVERY_POLL_INTERVAL_MS: 30 });
    relay.fake.scriptLookup(serviceId(0), [{ kind: 'error', status: 403, detail: 'the token may not read this container' }]);
    const [id] = await pushAll('2.0.0');
    const deployment = await deploymentWhen(relay, id as string);
    expect(deployment.transitions.at(-1).detail).toBe('Qovery reported DEPLOYED');
    expect(relay.fake.lookupCalls(serviceId(0))).toHaveLength(1);
    expect(relay.fake.requests.some((r) => r.path === `/container/${serviceId(0)}/status`)).toBe(true);
  });

  it('reads a service alone when the environment it was learned in no longer lists it', async () => {
    relay = await startTestRelay(RULES, { QOVERY_POLL_INTERVAL_MS: 30 });
    const stale = '00000000-0000-4000-8000-00000000ee09';
    relay.fake.placeService('container', serviceId(1), stale);
    const first = await relay.post('hub', dockerHubPush({ repository: 'acme/svc-1', tag: '3.0.0' }));
    await deploymentWhen(relay, first.json.deployments[0].id);
    // The service moves; the relay still holds the old environment for it.
    relay.fake.placeService('container', serviceId(1), ENVIRONMENTS[0] as string);
    relay.fake.placeService('container', serviceId(2), stale);
    const second = await relay.post('hub', dockerHubPush({ repository: 'acme/svc-1', tag: '3.0.1' }));
    await deploymentWhen(relay, second.json.deployments[0].id);
    expect(relay.fake.requests.some((r) => r.path === `/container/${serviceId(1)}/status`)).toBe(true);
  });

  it('gives a followed deployment back to following when the follow set lost it (a Redis failover, a bad restore)', async () => {
    relay = await startTestRelay(RULES, { QOVERY_POLL_INTERVAL_MS: 30, RECONCILE_INTERVAL_MS: 1_000, WORKER_LOCK_MS: 1_000 });
    relay.fake.scriptStatus('*', [{ state: 'DEPLOYING', reads: 30 }, { state: 'DEPLOYED' }]);
    const [id] = await pushAll('4.0.0');
    await deploymentWhen(relay, id as string, 'in_progress');
    const followKeys = await relay.redis.keys(`${relay.prefix}:follow:*`);
    expect(followKeys.length).toBeGreaterThan(0);
    await relay.redis.del(...followKeys.filter((key) => !key.endsWith(':service-env')));
    await deploymentWhen(relay, id as string);
  });

  it('spreads reads fairly over environments when the budget is short, lets deploy calls go first, and shows the stretch in /metrics', async () => {
    // 7,200 an hour: a bucket of 120 calls refilling at 2 a second, of which following may not take the last 30.
    relay = await startTestRelay(RULES, { QOVERY_POLL_INTERVAL_MS: 30, QOVERY_MAX_REQUESTS_PER_HOUR: 7_200 });
    for (let n = 0; n < SERVICES; n++)
      relay.fake.placeService('container', serviceId(n), `00000000-0000-4000-8000-00000000ef${String(n % 3).padStart(2, '0')}`);
    relay.fake.scriptStatus('*', [{ state: 'DEPLOYING', reads: 1_000_000 }]);
    for (let n = 0; n < 3; n++) await relay.post('hub', dockerHubPush({ repository: `acme/svc-${n}`, tag: '5.0.0' }));
    // Following spends the bucket down to its reserve, then reads as fast as it refills.
    await expect.poll(() => relay.fake.environmentStatusCalls().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(90);
    const from = relay.fake.requests.length;
    const deployAt = Date.now();
    await relay.post('hub', dockerHubPush({ repository: 'acme/svc-3', tag: '5.0.0' }));
    await expect.poll(() => relay.fake.deployCalls(serviceId(3)).length, { timeout: 2_000 }).toBe(1);
    expect((relay.fake.deployCalls(serviceId(3))[0]?.at ?? Infinity) - deployAt).toBeLessThan(1_500);

    await expect.poll(() => relay.fake.requests.slice(from).filter((r) => r.path.endsWith('/statuses')).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(12);
    const reads = relay.fake.requests.slice(from).filter((r) => r.path.endsWith('/statuses'));
    const perEnvironment = new Map<string, number>();
    for (const read of reads) perEnvironment.set(read.path, (perEnvironment.get(read.path) ?? 0) + 1);
    expect(perEnvironment.size).toBe(3);
    expect(Math.max(...perEnvironment.values()) - Math.min(...perEnvironment.values())).toBeLessThanOrEqual(1);

    const metrics = await scrape(relay.relay.app!);
    expect(sample(metrics, 'relay_follow_check_lateness_seconds_count')).toBeGreaterThan(0);
    // Checks due every 30 ms, made at 2 a second: most wait far past their time.
    expect(sample(metrics, 'relay_follow_check_lateness_seconds_bucket', { le: '0.1' })).toBeLessThan(
      sample(metrics, 'relay_follow_check_lateness_seconds_count') ?? 0,
    );
    expect(sample(metrics, 'relay_follow_due')).toBeGreaterThanOrEqual(1);
  }, 40_000);
});
