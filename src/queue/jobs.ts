import { z } from 'zod';
import type { JobsOptions } from 'bullmq';

/** The job catalog: every queue's name, payload schema and retry policy in one place. */
export const DEPLOY_QUEUE = 'deploy';

/** Payloads carry ids only: the deployment itself lives in the history. */
export const deployJobSchema = z.object({ deploymentId: z.string().regex(/^[A-Za-z0-9_-]+$/) });
export type DeployJobData = z.infer<typeof deployJobSchema>;

/**
 * Deploy retries are scheduled by the processor itself (it honours Retry-After and records each
 * one); BullMQ's own attempts only cover unexpected processor errors such as a Redis blip.
 */
export const deployJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};
