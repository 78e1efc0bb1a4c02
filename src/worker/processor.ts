import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { History } from '../history/history.js';
import { FOLLOWED_STATUSES, TERMINAL_STATUSES, type DeploymentState } from '../history/model.js';
import { deployJobSchema, type DeployJobData } from '../queue/jobs.js';
import type { DeployPhase } from './deploy-phase.js';
import { DONE, FOLLOW, type Step } from './step.js';

/**
 * One BullMQ job carries a deployment from queued until Qovery has it; the follower takes it from
 * there. The deployment's recorded status says which phase runs; a phase that must wait
 * re-schedules the same job as delayed, so waiting (retries, another deploy in flight) never
 * holds a worker slot. The job ends only once the deployment is enlisted for following, so a
 * crash in between runs the job again and enlists it then.
 */
export function createDeployProcessor(deps: { history: History; deploy: DeployPhase; follow: { enlist(d: DeploymentState): Promise<void> }; logger: Logger }) {
  async function step(deploymentId: string, log: Logger): Promise<Step> {
    const deployment = await deps.history.getDeploymentState(deploymentId);
    if (!deployment) {
      log.warn('deployment not found in the history; dropping its job');
      return DONE;
    }
    if (TERMINAL_STATUSES.has(deployment.status)) return DONE;
    // A job of a followed deployment: one written before following had its own schedule, or run again after a crash.
    if (FOLLOWED_STATUSES.has(deployment.status)) return FOLLOW;
    return deps.deploy.run(deployment);
  }

  return async (job: Job<DeployJobData>, token?: string): Promise<void> => {
    const { deploymentId } = deployJobSchema.parse(job.data);
    const log = deps.logger.child({ deploymentId, bullJobId: job.id });
    const next = await step(deploymentId, log);
    if (next.kind === 'follow') {
      const deployment = await deps.history.getDeploymentState(deploymentId);
      if (deployment && FOLLOWED_STATUSES.has(deployment.status)) await deps.follow.enlist(deployment);
    }
    if (next.kind === 'later') {
      await job.moveToDelayed(Date.now() + next.delayMs, token);
      throw new DelayedError();
    }
  };
}
