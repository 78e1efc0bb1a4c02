import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { RelayKeys } from '../redis/keys.js';
import type { RedisClient } from '../redis/scripts.js';
import { FOLLOWED_STATUSES, OPEN_STATUSES } from '../history/model.js';
import type { DeployJobData } from '../queue/jobs.js';
import type { DeployProducer } from '../queue/producer.js';

/**
 * The safety net under "nothing accepted is ever lost": a deployment that is not finished but has
 * no live job (its job ended on an unexpected error, or was lost with a Redis that failed over) is
 * given a job again, and a followed deployment missing from the follow set is enlisted again. The
 * processor and the follower are idempotent, so a spare job or entry is harmless.
 */
export function createReconciler(deps: {
  redis: RedisClient;
  keys: RelayKeys;
  queue: Queue<DeployJobData>;
  producer: DeployProducer;
  follower: { repair(ids: readonly string[]): Promise<number> };
  logger: Logger;
  minAgeMs: number;
}) {
  const { redis, queue } = deps;

  async function orphans(ids: readonly string[]): Promise<{ missing: string[]; finished: string[] }> {
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.exists(queue.toKey(id)).zscore(queue.toKey('completed'), id).zscore(queue.toKey('failed'), id);
    const results = (await pipeline.exec()) ?? [];
    const missing: string[] = [];
    const finished: string[] = [];
    ids.forEach((id, i) => {
      const exists = results[i * 3]?.[1] === 1;
      const done = results[i * 3 + 1]?.[1] !== null || results[i * 3 + 2]?.[1] !== null;
      if (!exists) missing.push(id);
      else if (done) finished.push(id);
    });
    return { missing, finished };
  }

  return {
    async runOnce(): Promise<number> {
      const cutoff = Date.now() - deps.minAgeMs;
      let repaired = 0;
      for (const status of OPEN_STATUSES) {
        const ids = await redis.zrangebyscore(deps.keys.deploymentIndex('status', status), '-inf', cutoff, 'LIMIT', 0, 1000);
        if (ids.length === 0) continue;
        if (FOLLOWED_STATUSES.has(status)) {
          repaired += await deps.follower.repair(ids);
          continue;
        }
        const { missing, finished } = await orphans(ids);
        for (const id of finished) await queue.remove(id);
        const requeue = [...missing, ...finished];
        await deps.producer.enqueue(requeue);
        repaired += requeue.length;
      }
      if (repaired > 0) deps.logger.warn({ repaired }, 'gave unfinished deployments without a live job a new job, or back to following');
      return repaired;
    },
  };
}
