import { Worker, type Job } from 'bullmq';
import type { RedisClient } from '../redis/scripts.js';
import type { Logger } from 'pino';
import { logErrorsOnce } from '../redis/connection.js';
import type { History } from '../history/history.js';
import { DEPLOY_QUEUE, type DeployJobData } from '../queue/jobs.js';

export interface WorkerOptions {
  readonly prefix: string;
  readonly concurrency: number;
  /** How long a job's lock lives without renewal; a dead worker's job is picked up after it. */
  readonly lockDurationMs: number;
}

/**
 * Runs the processor under BullMQ. A killed worker's active jobs come back through stalled-job
 * recovery; `maxStalledCount` is high because a deployment must survive several crashes rather
 * than be failed by the queue behind the relay's back.
 */
export function startDeployWorker(deps: {
  connection: RedisClient;
  history: History;
  logger: Logger;
  processor: (job: Job<DeployJobData>, token?: string) => Promise<void>;
  options: WorkerOptions;
}) {
  const worker = new Worker<DeployJobData>(DEPLOY_QUEUE, deps.processor, {
    connection: deps.connection,
    prefix: deps.options.prefix,
    concurrency: deps.options.concurrency,
    lockDuration: deps.options.lockDurationMs,
    stalledInterval: deps.options.lockDurationMs,
    maxStalledCount: 20,
    autorun: true,
  });

  worker.on('failed', (job, error) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    deps.logger.error({ err: error, deploymentId: job.data.deploymentId, attemptsMade: job.attemptsMade }, 'deploy job failed unexpectedly');
    if (job.attemptsMade < attempts) return;
    const detail = `the relay gave up after ${job.attemptsMade} unexpected errors: ${error.message}`;
    // Whatever state it was in, the deployment must end: record the failure so nothing hangs.
    void deps.history
      .transition(job.data.deploymentId, { status: 'failed', detail, set: { reason: detail } })
      .catch((err: unknown) => deps.logger.error({ err, deploymentId: job.data.deploymentId }, 'could not record a failed deployment'));
  });
  worker.on('error', logErrorsOnce(deps.logger, 'worker error', deps.connection));
  return worker;
}
