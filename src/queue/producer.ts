import type { Queue } from 'bullmq';
import { deployJobOptions, deployJobSchema, type DeployJobData } from './jobs.js';

/**
 * Enqueues deploy jobs whose BullMQ job id is the deployment id, so adding the same deployment
 * twice (a re-driven duplicate, a reconciler pass) never creates a second job.
 */
export function createDeployProducer(deps: { queue: Queue<DeployJobData> }) {
  return {
    async enqueue(deploymentIds: readonly string[]): Promise<void> {
      if (deploymentIds.length === 0) return;
      await deps.queue.addBulk(
        deploymentIds.map((deploymentId) => ({
          name: 'deploy',
          data: deployJobSchema.parse({ deploymentId }),
          opts: { ...deployJobOptions, jobId: deploymentId },
        })),
      );
    },
  };
}

export type DeployProducer = ReturnType<typeof createDeployProducer>;
