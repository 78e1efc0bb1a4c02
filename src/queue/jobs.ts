import { z } from 'zod';
import type { JobsOptions } from 'bullmq';

/** The job catalog: every queue's name, payload schema and retry policy in one place. */
export const DEPLOY_QUEUE = 'deploy';
/** The name every deploy job carries (BullMQ's `name`). */
export const DEPLOY_JOB_NAME = 'deploy';

/** Payloads carry ids only: the deployment itself lives in the history. */
export const deployJobSchema = z.object({ deploymentId: z.string().regex(/^[A-Za-z0-9_-]+$/) });
export type DeployJobData = z.infer<typeof deployJobSchema>;

/**
 * Deploy retries are scheduled by the processor itself (it honours Retry-After and records each
 * one); BullMQ's own attempts only cover unexpected processor errors such as a Redis blip.
 *
 * The history is the record of what happened, so a finished job is only bookkeeping: a completed
 * one goes at once (the reconciler treats a missing job of an unfinished deployment as lost and
 * re-adds it, so keeping it buys nothing), and a failed one, which names an unexpected error, is
 * kept one day (at most the shortest HISTORY_RETENTION_DAYS) and the newest 1,000 of them.
 */
export const deployJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 1_000 },
};
