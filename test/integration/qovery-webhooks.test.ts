import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { relayKeys } from '../../src/redis/keys.js';
import { dockerHubPush } from '../support/payloads.js';
import { deploymentWhen, QOVERY_TOKEN, startTestRelay, type TestRelay } from '../support/relay.js';

/**
 * Qovery's own deployment events as the status source: a `qovery` source, registered with the
 * fake Qovery's organization webhook API, settles followed deployments without polling.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ORGANIZATION = '00000000-0000-4000-8000-0000000000a1';
const SECRET = 'qovery-webhook-secret-for-tests';
const ENVIRONMENTS = ['00000000-0000-4000-8000-00000000ef01', '00000000-0000-4000-8000-00000000ef02'];
const RELEASE_ENV = '00000000-0000-4000-8000-00000000ef09';
const SERVICES = 6;
const serviceId = (n: number) => `00000000-0000-4000-8000-${(0xd00 + n).toString(16).padStart(12, '0')}`;
const RELEASED = [serviceId(20), serviceId(21)];
/** Each step of the fake's walk, for tests that need Qovery's events to come after its answer is recorded. */
const EVENTS_AFTER_ANSWER_MS = 500;

const RULES = `
sources:
  - name: hub
    type: dockerhub
    token: hub-token-for-tests-0123
  - name: qovery-events
    type: qovery
    secret: ${SECRET}
routes:
${Array.from({ length: SERVICES }, (_, n) => `  - { name: svc-${n}, source: hub, match: { image: acme/svc-${n} }, target: { containerId: ${serviceId(n)} }, deploy: tag }`).join('\n')}
  - name: platform
    source: hub
    match: { image: acme/platform }
    target: { environmentId: ${RELEASE_ENV}, services: [{ containerId: ${RELEASED[0]} }, { containerId: ${RELEASED[1]} }] }
    deploy: tag
`;

let relay: TestRelay;
let workDir: string | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined as never;
  if (workDir) await rm(workDir, { recursive: true, force: true });
  workDir = undefined;
});

/** A relay whose API listens on a real port, so the fake Qovery can deliver its webhooks to it. */
async function startListening(overrides: Parameters<typeof startTestRelay>[1] = {}): Promise<string> {
  // Polling alone would not see an end within the test: what ends the deployments is the webhooks.
  relay = await startTestRelay(RULES, { QOVERY_POLL_INTERVAL_MS: 60_000, ...overrides });
  await relay.relay.app?.listen({ port: 0, host: '127.0.0.1' });
  const { port } = relay.relay.app?.server.address() as AddressInfo;
  for (let n = 0; n < SERVICES; n++) relay.fake.placeService('container', serviceId(n), ENVIRONMENTS[n % 2] as string);
  return `http://127.0.0.1:${port}`;
}

/** `deploy-relay qovery-webhook` as a real process against the fake Qovery. */
async function registerWithCli(relayUrl: string): Promise<{ code: number | null; output: string }> {
  workDir = await mkdtemp(join(tmpdir(), 'relay-qovery-webhook-'));
  const rulesPath = join(workDir, 'rules.yaml');
  await writeFile(rulesPath, RULES);
  const child = spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      join(ROOT, 'src/cli.ts'),
      'qovery-webhook',
      '--organization',
      ORGANIZATION,
      '--url',
      relayUrl,
      '--config',
      rulesPath,
    ],
    {
      cwd: workDir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), QOVERY_API_URL: relay.fake.url, QOVERY_API_TOKEN: QOVERY_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}

const qoveryEvent = (payload: Record<string, unknown>, eventType = 'DEPLOYMENT_SUCCESSFUL') => ({
  created_at: new Date().toISOString(),
  event_type: eventType,
  payload_type: 'DEPLOYMENT',
  payload_id: `evt-${Math.random().toString(16).slice(2)}`,
  payload,
});

describe("Qovery's webhooks as the status source", () => {
  it('deploy-relay qovery-webhook registers the qovery source once, and running it again updates that webhook', async () => {
    const url = await startListening();
    const first = await registerWithCli(url);
    expect(first).toMatchObject({ code: 0 });
    expect(first.output).toMatch(
      new RegExp(
        `^created Qovery webhook [0-9a-f-]{36}: DEPLOYMENT_STARTED, DEPLOYMENT_SUCCESSFUL, DEPLOYMENT_FAILURE, DEPLOYMENT_CANCELLED -> ${url}/webhooks/qovery-events\\n$`,
      ),
    );
    const again = await registerWithCli(url);
    expect(again.output).toMatch(/^updated Qovery webhook /);
    expect(relay.fake.webhooks.webhooks()).toEqual([
      expect.objectContaining({ kind: 'STANDARD', target_url: `${url}/webhooks/qovery-events`, target_secret_set: true, enabled: true }),
    ]);
  });

  it('settles every followed deployment from the events alone: one call per deployment (its deploy), no status read', async () => {
    const url = await startListening();
    expect((await registerWithCli(url)).code).toBe(0);
    // Steps long enough that the events come after the relay has recorded Qovery's answer even on a
    // loaded machine: an earlier event is checked by a read, which is the early-report test's case.
    relay.fake.setTimedWalk(EVENTS_AFTER_ANSWER_MS);
    const ids: string[] = [];
    for (let n = 0; n < SERVICES; n++) ids.push((await relay.post('hub', dockerHubPush({ repository: `acme/svc-${n}`, tag: '1.0.0' }))).json.deployments[0].id);
    for (const id of ids) {
      const deployment = await deploymentWhen(relay, id);
      expect(deployment.transitions.map((t: any) => t.status)).toEqual(['queued', 'deploying', 'accepted', 'in_progress', 'succeeded']);
      expect(deployment.transitions.at(-1).detail).toBe("Qovery's DEPLOYMENT_SUCCESSFUL webhook reported DEPLOYED");
    }
    const calls = relay.fake.requests.filter((r) => !r.path.startsWith('/organization/'));
    expect(calls.map((r) => r.path).sort()).toEqual(ids.map((_, n) => `/container/${serviceId(n)}/deploy`).sort());
    // The events are stored as deliveries that deploy nothing.
    const listed = await relay.get('/deliveries?source=qovery-events&limit=50');
    expect(listed.json.deliveries.length).toBeGreaterThanOrEqual(SERVICES * 2);
    expect(listed.json.deliveries[0].reason).toMatch(
      /^Qovery DEPLOYMENT_(STARTED|SUCCESSFUL) for request [0-9a-f-]{36}, environment [0-9a-f-]{36}: a status report/,
    );
  });

  it('settles a release from its environment request event, and reads the environment again for a release that failed', async () => {
    const url = await startListening();
    expect((await registerWithCli(url)).code).toBe(0);
    relay.fake.setTimedWalk(EVENTS_AFTER_ANSWER_MS);
    const ok = await relay.post('hub', dockerHubPush({ repository: 'acme/platform', tag: '2.0.0' }));
    const released = await deploymentWhen(relay, ok.json.deployments[0].id);
    expect(released.transitions.at(-1).detail).toMatch(/^Qovery's DEPLOYMENT_SUCCESSFUL webhook reported container .* DEPLOYED, container .* DEPLOYED$/);
    expect(relay.fake.environmentStatusCalls(RELEASE_ENV)).toEqual([]);

    relay.fake.scriptStatus(RELEASED[1] as string, [{ state: 'DEPLOYING' }, { state: 'DEPLOYMENT_ERROR' }]);
    const bad = await relay.post('hub', dockerHubPush({ repository: 'acme/platform', tag: '2.0.1', pushedAt: Math.floor(Date.now() / 1000) + 5 }));
    const failed = await deploymentWhen(relay, bad.json.deployments[0].id, 'failed');
    // The event does not say which service failed: the environment's statuses do.
    expect(failed.reason).toBe(`container ${RELEASED[1]}: Qovery reported DEPLOYMENT_ERROR`);
    expect(relay.fake.environmentStatusCalls(RELEASE_ENV).length).toBeGreaterThan(0);
  });

  it('checks at once a deployment whose end Qovery reported before the relay had recorded its answer', async () => {
    const url = await startListening();
    expect((await registerWithCli(url)).code).toBe(0);
    relay.fake.setTimedWalk(20);
    // Qovery takes the deploy at once and finishes it in ~60 ms; its answer reaches the relay after 600 ms.
    relay.fake.scriptDeploy(serviceId(2), [{ kind: 'accept-late', answerAfterMs: 600 }]);
    const id = (await relay.post('hub', dockerHubPush({ repository: 'acme/svc-2', tag: '6.0.0' }))).json.deployments[0].id;
    await expect.poll(() => relay.fake.webhooks.deliveries.map((d) => d.eventType)).toContain('DEPLOYMENT_SUCCESSFUL');
    // Polling is a minute away and the events came and went: only the early report's note finds it.
    const deployment = await deploymentWhen(relay, id);
    expect(deployment.transitions.at(-1).detail).toBe('Qovery reported DEPLOYED');
  });

  it("accepts the secret in Qovery-Secret (the docs' header) as well as Qovery-Signature (the spec's), and refuses a wrong one", async () => {
    const url = await startListening();
    expect((await registerWithCli(url)).code).toBe(0);
    relay.fake.webhooks.setSecretHeader('Qovery-Secret');
    relay.fake.setTimedWalk(20);
    const id = (await relay.post('hub', dockerHubPush({ repository: 'acme/svc-0', tag: '3.0.0' }))).json.deployments[0].id;
    await deploymentWhen(relay, id);
    await relay.fake.webhooks.settled();
    expect(relay.fake.webhooks.deliveries.every((d) => d.status === 200)).toBe(true);

    const forged = await relay.post('qovery-events', qoveryEvent({ id: 'whatever' }), { 'qovery-signature': 'not-the-secret' });
    expect(forged.statusCode).toBe(401);
    expect(forged.json.message).toBe('Qovery-Signature (or Qovery-Secret) does not match the configured secret');
    expect((await relay.post('qovery-events', qoveryEvent({ id: 'whatever' }), {}, { unsigned: true })).statusCode).toBe(401);
  });

  it('an event that names no followed deployment has its environment read at once; a replayed event is a duplicate', async () => {
    await startListening({ QOVERY_POLL_INTERVAL_MS: 60_000 });
    relay.fake.scriptStatus('*', [{ state: 'DEPLOYING', reads: 2 }, { state: 'DEPLOYED' }]);
    const id = (await relay.post('hub', dockerHubPush({ repository: 'acme/svc-1', tag: '4.0.0' }))).json.deployments[0].id;
    await deploymentWhen(relay, id, 'accepted');
    // The deployment is learned into its environment's group (the first check would be a minute away without this).
    const keys = relayKeys(relay.prefix);
    await relay.redis.zadd(keys.followDue, 'XX', Date.now(), `d:${id}`);
    await expect.poll(async () => relay.redis.zscore(keys.followDue, `e:${ENVIRONMENTS[1]}`)).not.toBeNull();

    const event = qoveryEvent({ id: 'a-request-the-relay-never-made', environment: { id: ENVIRONMENTS[1] } });
    const answer = await relay.post('qovery-events', event);
    expect(answer).toMatchObject({ statusCode: 200, json: { deployments: [], status: { moved: [], rechecked: [ENVIRONMENTS[1]] } } });
    await expect.poll(() => relay.fake.environmentStatusCalls(ENVIRONMENTS[1]).length).toBeGreaterThan(0);
    const replay = await relay.post('qovery-events', event);
    expect(replay).toMatchObject({ statusCode: 200, json: { duplicate: true } });
  });

  it('polls an environment only as a safety net while its events arrive', async () => {
    await startListening({ QOVERY_POLL_INTERVAL_MS: 30, QOVERY_SAFETY_POLL_INTERVAL_MS: 60_000 });
    relay.fake.scriptStatus('*', [{ state: 'DEPLOYING', reads: 1_000_000 }]);
    const id = (await relay.post('hub', dockerHubPush({ repository: 'acme/svc-0', tag: '5.0.0' }))).json.deployments[0].id;
    await deploymentWhen(relay, id, 'in_progress');
    const member = `e:${ENVIRONMENTS[0]}`;
    const keys = relayKeys(relay.prefix);
    // Polled every 30 ms before any event (read between checks: a check in progress holds a lease of a few seconds).
    await expect.poll(async () => Number(await relay.redis.zscore(keys.followDue, member)) - Date.now()).toBeLessThan(1_000);
    const started = qoveryEvent({ id: 'some-other-request', environment: { id: ENVIRONMENTS[0] } }, 'DEPLOYMENT_STARTED');
    expect((await relay.post('qovery-events', started)).statusCode).toBe(200);
    await expect.poll(async () => Number(await relay.redis.zscore(keys.followDue, member))).toBeGreaterThan(Date.now() + 30_000);
  });
});
