import { z } from 'zod';
import type { JobsOptions } from 'bullmq';
import { DEPLOYMENT_STATUSES, NOTIFICATION_KINDS } from '../history/model.js';

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

/**
 * One notification about one deployment event: a Slack message, a signed webhook or a commit
 * status. Secrets stay in the rules file: the sender looks the receiver up by name when it sends,
 * so a rotated token or a fixed URL is used by the retries already queued.
 */
export const NOTIFY_QUEUE = 'notify';
export const NOTIFY_JOB_NAME = 'notify';

export const notifyJobSchema = z.object({
  /** The events-stream entry it answers: with kind and name, what makes the job unique. */
  eventId: z.string().regex(/^\d+-\d+$/),
  kind: z.enum(NOTIFICATION_KINDS),
  /** The notification's name, or the source (for a commit status). */
  name: z.string(),
  deploymentId: z.string(),
  status: z.enum(DEPLOYMENT_STATUSES),
  previous: z.enum(DEPLOYMENT_STATUSES).optional(),
  at: z.string(),
});
export type NotifyJobData = z.infer<typeof notifyJobSchema>;

/** BullMQ refuses a custom job id with ":" in it; event ids, kinds and names have none. */
export const notifyJobId = (job: Pick<NotifyJobData, 'eventId' | 'kind' | 'name'>): string => `${job.eventId}.${job.kind}.${job.name}`;

/**
 * A sent notification's job is kept a day, so an event read twice (a dispatcher that crashed
 * before its acknowledgement) finds its job id taken and is not sent twice; a failed one a week.
 */
export function notifyJobOptions(maxAttempts: number): JobsOptions {
  return {
    attempts: maxAttempts,
    backoff: { type: NOTIFY_BACKOFF },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}

/** The worker's own backoff strategy: a receiver's Retry-After, else exponential. */
export const NOTIFY_BACKOFF = 'notify';
