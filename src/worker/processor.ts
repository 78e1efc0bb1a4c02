import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { History } from '../history/history.js';
import { TERMINAL_STATUSES } from '../history/model.js';
import { deployJobSchema, type DeployJobData } from '../queue/jobs.js';
import type { DeployPhase } from './deploy-phase.js';
import type { FollowPhase } from './follow-phase.js';
import { DONE, type Step } from './step.js';

/**
 * One BullMQ job carries a deployment from queued to its end. The deployment's recorded status
 * says which phase runs; a phase that must wait re-schedules the same job as delayed, so waiting
 * (retries, polls, another deploy in flight) never holds a worker slot.
 */
export function createDeployProcessor(deps: { history: History; deploy: DeployPhase; follow: FollowPhase; logger: Logger }) {
  async function step(deploymentId: string, log: Logger): Promise<Step> {
    const deployment = await deps.history.getDeploymentState(deploymentId);
    if (!deployment) {
      log.warn('deployment not found in the history; dropping its job');
      return DONE;
    }
    if (TERMINAL_STATUSES.has(deployment.status)) return DONE;
    if (deployment.status === 'accepted' || deployment.status === 'in_progress') return deps.follow.run(deployment);
    return deps.deploy.run(deployment);
  }

  return async (job: Job<DeployJobData>, token?: string): Promise<void> => {
    const { deploymentId } = deployJobSchema.parse(job.data);
    const log = deps.logger.child({ deploymentId, bullJobId: job.id });
    const next = await step(deploymentId, log);
    if (next.kind === 'later') {
      await job.moveToDelayed(Date.now() + next.delayMs, token);
      throw new DelayedError();
    }
  };
}
