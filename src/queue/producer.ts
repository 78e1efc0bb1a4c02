import type { Queue } from 'bullmq';
import { deployJobOptions, deployJobSchema, type DeployJobData } from './jobs.js';

/**
 * Enqueues deploy jobs whose BullMQ job id is the deployment id, so adding the same deployment
 * twice (a re-driven duplicate, a reconciler pass) never creates a second job.
 */
export function createDeployProducer(deps: { queue: Queue<DeployJobData> }) {
  return {
    async enqueue(deploymentIds: readonly string[]): Promise<void> {
      const jobs = deploymentIds.map((deploymentId) => ({
        name: 'deploy',
        data: deployJobSchema.parse({ deploymentId }),
        opts: { ...deployJobOptions, jobId: deploymentId },
      }));
      const [only] = jobs;
      // One job (most deliveries) goes through add: addBulk builds an ioredis pipeline, which copies
      // every script BullMQ defined onto it, 7% of an API process's CPU under load.
      if (jobs.length === 1 && only) await deps.queue.add(only.name, only.data, only.opts);
      else if (jobs.length > 1) await deps.queue.addBulk(jobs);
    },
  };
}

export type DeployProducer = ReturnType<typeof createDeployProducer>;
