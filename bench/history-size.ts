/**
 * `npm run bench:history-size`: what Redis holds per stored delivery and per deployment, for the
 * README's maxmemory sizing rule. On a private redis-server, through the history itself: 1,000
 * signed GitHub-like pushes on one route, each deployment taken queued -> deploying -> accepted ->
 * in_progress (twice) -> succeeded as the worker records it (its deploy job, written with it, is
 * removed as a completed job is); then 1,000 ignored deliveries and
 * 1,000 duplicates. Prints MEMORY USAGE by key group and the used_memory growth of each step.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadEnv } from '../src/config/env.js';
import { createHistory, type NewDeployment } from '../src/history/history.js';
import type { Delivery, DeliveryOutcome } from '../src/history/model.js';
import { deployQueueKeys } from '../src/queue/inline-add.js';
import { DEPLOY_QUEUE } from '../src/queue/jobs.js';
import { relayKeys } from '../src/redis/keys.js';
import { memoryByGroup, startPrivateRedis } from './redis.js';

const COUNT = 1_000;
const JOB = '00000000-0000-4000-8000-000000000001';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function push(outcome: DeliveryOutcome): { delivery: Delivery; deployments: NewDeployment[] } {
  const id = randomUUID();
  const commit = hex(20);
  const pushedAt = new Date().toISOString();
  const deployments: NewDeployment[] =
    outcome === 'accepted'
      ? [{ id: `dep_${hex(12)}`, route: 'api-main', target: { kind: 'job', id: JOB }, gitCommitId: commit, pushedAt, allowDowngrade: false }]
      : [];
  const delivery: Delivery = {
    id,
    source: 'github',
    sourceType: 'github',
    event: 'push',
    outcome,
    ...(outcome === 'ignored' && { reason: 'branch "dev" does not match "main"' }),
    ...(outcome === 'duplicate' && { duplicateOf: randomUUID() }),
    receivedAt: new Date().toISOString(),
    read: [{ repository: 'acme/api', branch: outcome === 'ignored' ? 'dev' : 'main', commit, pushedAt }],
    deploymentIds: deployments.map((d) => d.id),
  };
  return { delivery, deployments };
}

/** BullMQ's own keys (meta, id counter, events stream capped at 10,000): a fixed cost, not per delivery. */
const QUEUE_GROUP = 'deploy queue';

function groupOf(prefix: string, key: string): string {
  const rest = key.slice(prefix.length + 1);
  if (/^dep:[^:]+$/.test(rest)) return 'deployment hash';
  if (/^dep:[^:]+:tr$/.test(rest)) return 'transitions list';
  if (rest.startsWith('dlv:')) return 'delivery JSON';
  if (rest.startsWith('dlv-src:')) return 'id -> source key';
  if (rest.startsWith('dlv-sig:')) return 'signature key';
  if (rest.startsWith('deps') || rest.startsWith('dlvs') || rest.startsWith('job:')) return 'indexes';
  if (rest.startsWith(`${DEPLOY_QUEUE}:`)) return QUEUE_GROUP;
  return 'other';
}

const redis = await startPrivateRedis();
try {
  const defaults = loadEnv({ RELAY_ROLE: 'api' });
  const prefix = 'size';
  const keys = relayKeys(prefix);
  const history = createHistory({
    redis: redis.client,
    keys,
    retention: { days: defaults.HISTORY_RETENTION_DAYS, maxDeliveries: defaults.HISTORY_MAX_DELIVERIES },
    eventsMaxLen: defaults.EVENTS_STREAM_MAX_LEN,
  });
  const steps: Array<[string, number]> = [];
  let mark = await redis.usedMemory();
  const step = async (name: string) => {
    const used = await redis.usedMemory();
    steps.push([name, (used - mark) / COUNT]);
    mark = used;
  };

  const ids: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const { delivery, deployments } = push('accepted');
    await history.recordDelivery(delivery, deployments, { signature: hex(32) });
    ids.push(deployments[0]!.id);
  }
  await step('accepted delivery + its deployment, queued');
  for (const id of ids) {
    await history.transition(id, { status: 'deploying', attempt: 1, countAttempt: true, set: { intentAt: new Date().toISOString() } });
    await history.transition(id, {
      status: 'accepted',
      attempt: 1,
      httpStatus: 202,
      qoveryState: 'DEPLOYMENT_QUEUED',
      detail: 'Qovery accepted the deploy (HTTP 202)',
      set: { deploymentRequestId: randomUUID(), acceptedAt: new Date().toISOString(), qoveryState: 'DEPLOYMENT_QUEUED' },
    });
    for (let k = 0; k < 2; k++)
      await history.transition(id, {
        status: 'in_progress',
        qoveryState: 'DEPLOYING',
        status_details: { action: 'DEPLOY', status: 'ONGOING' },
        set: { qoveryState: 'DEPLOYING', leftTerminal: true },
      });
    await history.transition(id, { status: 'succeeded', qoveryState: 'DEPLOYED', set: { qoveryState: 'DEPLOYED' } });
  }
  await step('its 5 transitions to succeeded');
  // A completed job is removed at once (removeOnComplete), as a worker would have done here.
  const queue = deployQueueKeys(keys);
  for (const id of ids) await redis.client.del(queue.head + id);
  await redis.client.del(`${queue.head}wait`);
  await step('its completed deploy job removed');
  const followed = Object.fromEntries(await memoryByGroup(redis.client, prefix, (key) => groupOf(prefix, key)));

  for (let i = 0; i < COUNT; i++) await history.recordDelivery(push('ignored').delivery, []);
  await step('ignored delivery');
  for (let i = 0; i < COUNT; i++) await history.recordDuplicate(push('duplicate').delivery);
  await step('duplicate delivery');

  process.stdout.write(`\nMEMORY USAGE per accepted delivery with one deployment followed to succeeded (${COUNT} of them, one route):\n`);
  let total = 0;
  for (const [name, { keys: n, bytes }] of Object.entries(followed)) {
    if (name === QUEUE_GROUP) continue;
    total += bytes;
    process.stdout.write(`  ${name.padEnd(20)} ${String(n).padStart(5)} keys  ${Math.round(bytes / COUNT)} B\n`);
  }
  process.stdout.write(`  ${'total'.padEnd(32)} ${Math.round(total / COUNT)} B\n\nused_memory growth per item:\n`);
  for (const [name, bytes] of steps) process.stdout.write(`  ${name.padEnd(44)} ${Math.round(bytes)} B\n`);
} finally {
  await redis.stop();
}
