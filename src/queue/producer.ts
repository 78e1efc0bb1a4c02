import type { Queue } from 'bullmq';
import { deployJobOptions, deployJobSchema, type DeployJobData } from './jobs.js';

/**
 * Enqueues deploy jobs whose BullMQ job id is the deployment id, so adding the same deployment
 * twice (a re-driven duplicate, a reconciler pass) never creates a second job.
 */
export function createDeployProducer(deps: { queue: Queue<DeployJobData> }) {
  return {
    async enqueue(deploymentIds: readonly string[]): Promise<void> {
      // One add per job rather than addBulk: addBulk builds an ioredis pipeline, which copies every
      // script BullMQ defined onto it (7% of an API process's CPU under load), and the adds leave
      // in one write anyway when the caller batches the connection's writes.
      await Promise.all(
        deploymentIds.map((deploymentId) => deps.queue.add('deploy', deployJobSchema.parse({ deploymentId }), { ...deployJobOptions, jobId: deploymentId })),
      );
    },
  };
}

export type DeployProducer = ReturnType<typeof createDeployProducer>;
