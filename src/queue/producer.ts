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
    /** Removes jobs that must not run (their deployment was never stored); a job already running is left to end by itself. */
    async withdraw(deploymentIds: readonly string[]): Promise<void> {
      // A job that is running is locked and cannot be removed: it finds no deployment and ends.
      await Promise.allSettled(deploymentIds.map((id) => deps.queue.remove(id)));
    },
  };
}

export type DeployProducer = ReturnType<typeof createDeployProducer>;
