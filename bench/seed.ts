import { loadEnv } from '../src/config/env.js';
import { relayKeys } from '../src/redis/keys.js';
import { createHistory, type NewDeployment } from '../src/history/history.js';
import type { Delivery } from '../src/history/model.js';
import type { PrivateRedis } from './redis.js';
import { commitFor, jobIdFor, repositoryFor } from './pushes.js';

/**
 * Stores and enqueues one accepted push per job the way intake does (history.recordDelivery writes
 * the deployment with its deploy job), without HTTP: posting 10,000 webhooks would need 10,000 routes, and routing every
 * push through all of them would make the set-up, not the relay, the thing measured.
 */
export async function seedDeployments(redis: PrivateRedis, prefix: string, jobs: number, options: { batch?: number; round?: number } = {}): Promise<void> {
  const batch = options.batch ?? 250;
  const round = options.round ?? 0;
  // The relay's default retention, as a relay started with no settings would store them.
  const defaults = loadEnv({ RELAY_ROLE: 'api' });
  const retention = { days: defaults.HISTORY_RETENTION_DAYS, maxDeliveries: defaults.HISTORY_MAX_DELIVERIES };
  const history = createHistory({ redis: redis.client, keys: relayKeys(prefix), retention, eventsMaxLen: defaults.EVENTS_STREAM_MAX_LEN });
  for (let start = 0; start < jobs; start += batch) {
    const items = Array.from({ length: Math.min(batch, jobs - start) }, (_, k) => start + k);
    await Promise.all(
      items.map(async (job) => {
        const deliveryId = `seed-${prefix}-${round}-${job}`;
        const receivedAt = new Date().toISOString();
        const commit = commitFor(5 + round, job);
        const deployment: NewDeployment = {
          id: `dep_seed_${round}_${job}`,
          route: `svc-${job}`,
          target: { kind: 'job', id: jobIdFor(job) },
          gitCommitId: commit,
          allowDowngrade: false,
          pushedAt: receivedAt,
        };
        const delivery: Delivery = {
          id: deliveryId,
          source: 'github',
          sourceType: 'github',
          event: 'push',
          outcome: 'accepted',
          receivedAt,
          read: [{ repository: repositoryFor(job), branch: 'main', commit, pushedAt: receivedAt }],
          deploymentIds: [deployment.id],
        };
        await history.recordDelivery(delivery, [deployment]);
      }),
    );
  }
}
