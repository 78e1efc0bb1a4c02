/**
 * The Status body of the fake Qovery, kept pure so the state rules can be read apart from HTTP.
 * Shapes come from the research notes at the top of fake-qovery.ts.
 */

/** One step of a scripted status walk; each lasts `reads` status reads (default 1). */
export type StatusStep = { state: string; reads?: number } | { error: number; reads?: number } | { stale: true; reads?: number };

/** ServiceActionEnum (DEPLOY | DELETE | RESTART | STOP | UNKNOWN); a job deploy only uses three. */
export type JobAction = 'DEPLOY' | 'STOP' | 'DELETE';

/** What one deployment of a job looks like; a stale read serves the previous one's snapshot. */
export interface DeploymentSnapshot {
  state: string;
  deploymentRequestId: string | null;
  action: JobAction;
  lastDeploymentDate?: string;
  executionId?: string;
}

export interface StatusWalk {
  readonly steps: readonly StatusStep[];
  index: number;
  readsLeft: number;
}

export const FORCE_EVENTS = ['START', 'STOP', 'DELETE', 'CRON'] as const;

// Without a script a deploy goes through the states the console shows for a healthy job deploy.
export const DEFAULT_WALK: readonly StatusStep[] = [{ state: 'DEPLOYMENT_QUEUED' }, { state: 'DEPLOYING' }, { state: 'DEPLOYED' }];

// Qovery's console fixtures show a never-deployed service as READY with no deployment request.
export const NEVER_DEPLOYED: DeploymentSnapshot = { state: 'READY', deploymentRequestId: null, action: 'DEPLOY' };

const SUCCESS_STATES = new Set(['DEPLOYED', 'STOPPED', 'DELETED', 'RESTARTED', 'READY', 'RUNNING']);

/** A state after which Qovery will not move on its own: success, any *_ERROR, or CANCELED. */
export function isFinished(state: string): boolean {
  return SUCCESS_STATES.has(state) || state.endsWith('_ERROR') || state === 'CANCELED';
}

export function actionFor(forceEvent: string | null): JobAction {
  if (forceEvent === 'STOP') return 'STOP';
  if (forceEvent === 'DELETE') return 'DELETE';
  return 'DEPLOY';
}

export function queuedStateFor(action: JobAction): string {
  if (action === 'STOP') return 'STOP_QUEUED';
  if (action === 'DELETE') return 'DELETE_QUEUED';
  return 'DEPLOYMENT_QUEUED';
}

export function startWalk(steps: readonly StatusStep[]): StatusWalk {
  if (steps.length === 0) throw new Error('a status script needs at least one step');
  return { steps, index: 0, readsLeft: readsOf(steps[0]) };
}

/** The step this read serves; moves on when its reads are used up, then stays on the last step. */
export function nextStep(walk: StatusWalk): StatusStep {
  const step = walk.steps[walk.index] as StatusStep;
  walk.readsLeft -= 1;
  if (walk.readsLeft <= 0 && walk.index < walk.steps.length - 1) {
    walk.index += 1;
    walk.readsLeft = readsOf(walk.steps[walk.index]);
  }
  return step;
}

/** The state a walk ends on, which is what a later stale read reports for this deployment. */
export function finalState(steps: readonly StatusStep[], fallback: string): string {
  for (let i = steps.length - 1; i >= 0; i -= 1) {
    const step = steps[i] as StatusStep;
    if ('state' in step) return step.state;
  }
  return fallback;
}

function readsOf(step: StatusStep | undefined): number {
  return Math.max(1, step?.reads ?? 1);
}

function actionStatus(state: string, neverDeployed: boolean): string {
  if (neverDeployed) return 'NEVER';
  if (state === 'QUEUED' || state.endsWith('_QUEUED')) return 'QUEUED';
  if (state.endsWith('_ERROR')) return 'ERROR';
  if (state === 'CANCELED' || state === 'CANCELING' || state === 'EXECUTING') return state;
  return SUCCESS_STATES.has(state) ? 'SUCCESS' : 'ONGOING';
}

function serviceDeploymentStatus(snapshot: DeploymentSnapshot): string {
  if (snapshot.deploymentRequestId === null) return 'NEVER_DEPLOYED';
  return SUCCESS_STATES.has(snapshot.state) ? 'UP_TO_DATE' : 'OUT_OF_DATE';
}

/** The JSON body of GET /job/{id}/status and of an accepted POST /job/{id}/deploy. */
export function buildStatus(jobId: string, snapshot: DeploymentSnapshot): Record<string, unknown> {
  const neverDeployed = snapshot.deploymentRequestId === null;
  return {
    id: jobId,
    state: snapshot.state,
    service_deployment_status: serviceDeploymentStatus(snapshot),
    ...(snapshot.lastDeploymentDate ? { last_deployment_date: snapshot.lastDeploymentDate } : {}),
    is_part_last_deployment: !neverDeployed,
    ...(snapshot.executionId ? { execution_id: snapshot.executionId } : {}),
    status_details: {
      action: snapshot.action,
      status: actionStatus(snapshot.state, neverDeployed),
      sub_action: 'NONE',
    },
    deployment_request_id: snapshot.deploymentRequestId,
    // Qovery counts the requests still waiting or running for the service.
    deployment_requests_count: neverDeployed || isFinished(snapshot.state) ? 0 : 1,
  };
}
