import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { History } from '../history/history.js';
import type { NotificationMetrics } from '../metrics/registry.js';
import { NOTIFY_BACKOFF, NOTIFY_QUEUE, notifyJobSchema, type NotifyJobData } from '../queue/jobs.js';
import { logErrorsOnce } from '../redis/connection.js';
import type { RedisClient } from '../redis/scripts.js';
import { NotifyBudgetWait, NotifyRequestError, type NotifySender } from './send.js';

export interface NotifyRetryPolicy {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** A receiver's Retry-After when it gave one (within the cap), else doubling from the base. */
export function notifyRetryDelay(attemptsMade: number, error: unknown, policy: NotifyRetryPolicy): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  if (error instanceof NotifyRequestError && error.retryAfterMs !== undefined) return Math.min(policy.maxMs, Math.max(error.retryAfterMs, policy.baseMs));
  return exponential;
}

/**
 * Sends notification jobs. Every attempt is recorded with the deployment it is about, and no
 * answer of a receiver is ever turned into a change of the deployment: a failing Slack or git
 * host costs only its own retries.
 */
export function startNotifyWorker(deps: {
  connection: RedisClient;
  prefix: string;
  sender: NotifySender;
  history: History;
  policy: NotifyRetryPolicy;
  concurrency: number;
  logger: Logger;
  metrics: NotificationMetrics;
}) {
  const { history, logger, policy } = deps;

  async function processJob(job: Job<NotifyJobData>, token?: string): Promise<void> {
    const data = notifyJobSchema.parse(job.data);
    const attempt = job.attemptsMade + 1;
    const about = { kind: data.kind, name: data.name, status: data.status, attempt };
    try {
      const sent = await deps.sender.send(data);
      await history.recordNotification(
        data.deploymentId,
        sent.result === 'sent' ? { ...about, result: 'sent', httpStatus: sent.httpStatus } : { ...about, result: 'skipped', detail: sent.detail },
      );
      deps.metrics.notificationAttempted(data.kind, sent.result);
    } catch (err) {
      if (err instanceof NotifyBudgetWait) {
        await job.moveToDelayed(Date.now() + err.waitMs, token);
        throw new DelayedError();
      }
      const failure = err instanceof NotifyRequestError ? err : new NotifyRequestError(err instanceof Error ? err.message : String(err), true);
      const last = !failure.retryable || attempt >= policy.maxAttempts;
      const result = last ? 'failed' : 'retrying';
      await history.recordNotification(data.deploymentId, {
        ...about,
        result,
        ...(failure.httpStatus !== undefined && { httpStatus: failure.httpStatus }),
        detail: failure.message,
      });
      deps.metrics.notificationAttempted(data.kind, result);
      logger.warn(
        { deploymentId: data.deploymentId, kind: data.kind, name: data.name, attempt, err: failure },
        `notification ${result === 'failed' ? 'given up' : 'to be retried'}`,
      );
      throw last ? new UnrecoverableError(failure.message) : failure;
    }
  }

  const worker = new Worker<NotifyJobData>(NOTIFY_QUEUE, processJob, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    settings: { backoffStrategy: (attemptsMade, type, err) => (type === NOTIFY_BACKOFF ? notifyRetryDelay(attemptsMade, err, policy) : policy.baseMs) },
    autorun: true,
  });
  worker.on('error', logErrorsOnce(logger, 'notification worker error', deps.connection));
  return worker;
}
