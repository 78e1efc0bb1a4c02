import type { Queue } from 'bullmq';
import { DEPLOY_JOB_NAME, deployJobOptions, deployJobSchema, type DeployJobData } from './jobs.js';

/**
 * Enqueues deploy jobs whose BullMQ job id is the deployment id, so adding the same deployment
 * twice (a reconciler pass over a job that came back) never creates a second job. Intake does not
 * come here: the history's script writes a new deployment's job with it (inline-add.ts).
 */
export function createDeployProducer(deps: { queue: Queue<DeployJobData> }) {
  return {
    async enqueue(deploymentIds: readonly string[]): Promise<void> {
      // One add per job rather than addBulk: addBulk builds an ioredis pipeline, which copies every
      // script BullMQ defined onto it.
      await Promise.all(
        deploymentIds.map((deploymentId) =>
          deps.queue.add(DEPLOY_JOB_NAME, deployJobSchema.parse({ deploymentId }), { ...deployJobOptions, jobId: deploymentId }),
        ),
      );
    },
  };
}

export type DeployProducer = ReturnType<typeof createDeployProducer>;
