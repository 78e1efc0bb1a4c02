import semver from 'semver';
import type { History } from '../history/history.js';
import { lanesOfState, targetOf, TERMINAL_STATUSES, type DeploymentState } from '../history/model.js';
import { isRelease } from '../qovery/targets.js';
import type { BudgetedQovery, QoveryCall } from '../qovery/budgeted.js';
import type { QoveryResult, QoveryStatus } from '../qovery/client.js';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import type { JobCoordination, JobLast } from './coordination.js';
import { CLOCK_SKEW_MS, isQueuedState } from './qovery-states.js';
import { DONE, FOLLOW, later, type Step } from './step.js';

export interface DeployPolicy {
  readonly maxAttempts: number;
  readonly backoff: BackoffPolicy;
  /** Longer than one deploy call can take, so a live holder never loses its lock. */
  readonly lockTtlMs: number;
}

interface Deps {
  readonly history: History;
  readonly coordination: JobCoordination;
  readonly qovery: BudgetedQovery;
  readonly policy: DeployPolicy;
  readonly random?: () => number;
  readonly now?: () => number;
}

/**
 * Whether a deploy call whose outcome was never recorded reached Qovery: its current request id
 * differs from the last one the relay saw for the job, and it is not older than our intent.
 */
export function deployAlreadyHappened(status: QoveryStatus, last: JobLast, intentAt: string | undefined): boolean {
  const requestId = status.deployment_request_id ?? undefined;
  const date = status.last_deployment_date ? Date.parse(status.last_deployment_date) : undefined;
  const afterIntent = date !== undefined && intentAt !== undefined && date >= Date.parse(intentAt) - CLOCK_SKEW_MS;
  if (requestId !== undefined) return requestId !== last.dispatchedRequestId && (date === undefined || afterIntent);
  return afterIntent;
}

type Refusal = { status: 'superseded' | 'ignored'; detail: string; by?: string };

type Pending = { id: string; order: number } | undefined;

/**
 * Superseded while waiting when every one of its services has a newer push waiting: then each
 * gets a newer version anyway. A release with only some services overtaken still deploys, in
 * lock order, so its other services are not left behind.
 */
function newerWaiting(d: DeploymentState, heads: readonly Pending[]): Refusal | undefined {
  const newer = heads.map((head) => (head && head.id !== d.id && head.order > d.order ? head : undefined));
  if (newer.length === 0 || newer.some((head) => head === undefined)) return undefined;
  const ids = [...new Set(newer.map((head) => head?.id))].join(', ');
  const what = newer.length > 1 ? 'a newer push for each of its services is waiting' : 'a newer push for this service is waiting';
  return { status: 'superseded', by: newer[0]?.id, detail: `${what} (${ids})` };
}

/**
 * Why this deployment must not be deployed now, if it must not: a newer one exists or it would
 * downgrade, on any of its services (a release moves its services together or not at all).
 */
function refusal(d: DeploymentState, heads: readonly Pending[], lasts: readonly JobLast[]): Refusal | undefined {
  const waiting = newerWaiting(d, heads);
  if (waiting) return waiting;
  for (const last of lasts) {
    const refused = refusalOnLane(d, last);
    if (refused) return refused;
  }
  return undefined;
}

function refusalOnLane(d: DeploymentState, last: JobLast): Refusal | undefined {
  // Waiting when a newer push was handed to Qovery: it lost the race (superseded). Arriving after
  // that, older than what already succeeded: a downgrade (ignored). Arrival decides, not timing.
  const newerDispatched = last.dispatchedOrder !== undefined && last.dispatchedId !== d.id && d.order < last.dispatchedOrder;
  if (newerDispatched && last.dispatchedAt !== undefined && Date.parse(d.createdAt) <= last.dispatchedAt) {
    return { status: 'superseded', by: last.dispatchedId, detail: `a newer push (${last.dispatchedId}) was handed to Qovery while this one waited` };
  }
  if (!d.allowDowngrade && last.succeededOrder !== undefined && last.succeededId !== d.id && d.order < last.succeededOrder) {
    return {
      status: 'ignored',
      detail: `this push is older than the last successful deployment ${last.succeededId}; set allowDowngrade: true on the route to roll back`,
    };
  }
  if (newerDispatched) {
    return { status: 'superseded', by: last.dispatchedId, detail: `a newer push (${last.dispatchedId}) was already handed to Qovery` };
  }
  // A moving tag (`main`, `latest`) pushed again deploys again, unless it is the very image deployed last.
  if (d.imageDigest !== undefined && d.imageTag === last.succeededTag && d.imageDigest === last.succeededDigest && last.succeededId !== d.id) {
    return {
      status: 'ignored',
      detail: `unchanged: tag ${d.imageTag} at ${d.imageDigest} is what the last successful deployment ${last.succeededId} deployed`,
    };
  }
  // Only tags that are semver (a leading v tolerated) are compared; `latest` or `sha-abc` are not versions.
  const tag = d.imageTag ? semver.clean(d.imageTag) : null;
  const lastTag = last.succeededTag ? semver.clean(last.succeededTag) : null;
  if (!d.allowDowngrade && tag && lastTag && semver.lt(tag, lastTag)) {
    return {
      status: 'ignored',
      detail: `tag ${d.imageTag} is lower than ${last.succeededTag}, the last tag deployed successfully; set allowDowngrade: true on the route to roll back`,
    };
  }
  return undefined;
}

export function createDeployPhase(deps: Deps) {
  const { history, coordination, qovery, policy } = deps;
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const lockWait = () => 200 + random() * 800;

  async function accept(d: DeploymentState, fields: { httpStatus?: number; status?: QoveryStatus; attempt?: number; detail: string }): Promise<Step> {
    const requestId = fields.status?.deployment_request_id ?? undefined;
    await coordination.markDispatched(lanesOfState(d), d.id, d.order, requestId, now());
    await history.transition(d.id, {
      status: 'accepted',
      detail: fields.detail,
      ...(fields.attempt !== undefined && { attempt: fields.attempt }),
      ...(fields.httpStatus !== undefined && { httpStatus: fields.httpStatus }),
      ...(fields.status && { qoveryState: fields.status.state }),
      set: { acceptedAt: new Date(now()).toISOString(), ...(requestId && { deploymentRequestId: requestId }) },
    });
    return FOLLOW;
  }

  /**
   * The last call's outcome is unknown (its worker died between recording the intent and the answer,
   * or the answer was a 5xx, a reset or a timeout): ask Qovery whether it landed before calling again.
   */
  async function recover(d: DeploymentState, qoveryCall: QoveryCall): Promise<Step | 'call-again'> {
    const target = targetOf(d);
    // A release is asked about at its environment, whose status names the environment's last request.
    const status = await (isRelease(target) ? qoveryCall.getReleaseStatus(target) : qoveryCall.getStatus(target));
    if (!status.ok || !status.status) return later(retryDelayMs(policy.backoff, d.attempts, status.ok ? undefined : status.retryAfterMs, random));
    const lasts = await coordination.lasts(lanesOfState(d));
    // accept() records the dispatch before the status, so a crash between the two leaves this
    // deployment 'deploying' with its services' records already naming it: Qovery has it.
    const [first] = lasts;
    const happened = lasts.some((last) => last.dispatchedId === d.id) || (first !== undefined && deployAlreadyHappened(status.status, first, d.intentAt));
    if (!happened) return 'call-again';
    return accept(d, { status: status.status, detail: 'Qovery already has this deploy: an earlier call reached it although its answer was lost' });
  }

  /**
   * Another deployment of the job made a call whose outcome is not known yet (its worker died, or
   * the answer was lost). Until that one has asked Qovery, a call now could replace it there and
   * make its recovery conclude that it never arrived.
   */
  async function otherInDoubt(d: DeploymentState, lasts: readonly JobLast[]): Promise<boolean> {
    for (const last of lasts) {
      if (last.inDoubtId === undefined || last.inDoubtId === d.id) continue;
      const other = await history.getDeploymentState(last.inDoubtId);
      // A marker left by a worker that died before its call, or after settling it, names a deployment no longer in doubt.
      if (other !== undefined && !TERMINAL_STATUSES.has(other.status) && (other.status === 'deploying' || other.uncertain === true)) return true;
    }
    return false;
  }

  /** Recovery found that the last attempt, whose answer was lost, never reached Qovery, and none are left. */
  async function giveUp(d: DeploymentState): Promise<Step> {
    const why = `gave up after ${d.attempts} attempts: the last one's answer was lost and Qovery shows no deploy from it`;
    await history.transition(d.id, { status: 'failed', detail: why, set: { reason: why } });
    await coordination.settle(lanesOfState(d), d.id);
    return DONE;
  }

  /** The call may have reached Qovery: whatever attempts are left, Qovery is asked before anything else. */
  async function inDoubt(d: DeploymentState, attempt: number, result: Extract<QoveryResult, { ok: false }>): Promise<Step> {
    const delay = retryDelayMs(policy.backoff, attempt, result.retryAfterMs, random);
    const then = attempt < policy.maxAttempts ? 'retrying only if it did not' : 'giving up if it did not';
    await history.transition(d.id, {
      status: 'retrying',
      attempt,
      detail: `${result.detail}; it may have reached Qovery: asking Qovery in ${delay} ms, ${then}`,
      ...(result.httpStatus !== undefined && { httpStatus: result.httpStatus }),
      set: { uncertain: true },
    });
    return later(delay);
  }

  /**
   * Qovery runs a service's deployment requests in turn, so the one handed over before this one
   * would still run first. When its route asks for it and Qovery has not begun it, it is cancelled
   * there, before this deploy call: Qovery still names its request then, so its own follow loop
   * cannot have concluded anything else in between. Its history says whether it was cancelled.
   */
  async function cancelPrevious(d: DeploymentState, before: JobLast): Promise<void> {
    const { dispatchedId: previousId, dispatchedRequestId: requestId } = before;
    // Once per deployment: a retried call finds the previous one already dealt with.
    if (d.attempts > 0 || !previousId || previousId === d.id || !requestId || (before.dispatchedOrder ?? -Infinity) > d.order) return;
    const previous = await history.getDeploymentState(previousId);
    if (!previous?.cancelSuperseded || TERMINAL_STATUSES.has(previous.status) || previous.deploymentRequestId !== requestId) return;
    if (previous.qoveryState !== undefined && !isQueuedState(previous.qoveryState)) {
      await history.transition(previous.id, {
        status: previous.status,
        detail: `not cancelled at Qovery although ${d.id} supersedes it: Qovery had begun it (${previous.qoveryState})`,
      });
      return;
    }
    const permit = await qovery.permit();
    if (!permit.granted) {
      await history.transition(previous.id, {
        status: previous.status,
        detail: `not cancelled at Qovery although ${d.id} supersedes it: the Qovery budget is spent`,
      });
      return;
    }
    const result = await permit.cancelDeploymentRequest(requestId);
    if (!result.ok) {
      const detail = `could not cancel it at Qovery for ${d.id}, which supersedes it (it may have begun): ${result.detail}`;
      await history.transition(previous.id, { status: previous.status, detail, ...(result.httpStatus !== undefined && { httpStatus: result.httpStatus }) });
      return;
    }
    const detail = `cancelled at Qovery (deployment request ${requestId}) while still queued there: ${d.id} supersedes it`;
    await history.transition(previous.id, {
      status: 'superseded',
      detail: result.detail ? `${detail} (${result.detail})` : detail,
      httpStatus: result.httpStatus,
      set: { reason: detail, supersededBy: d.id },
    });
  }

  async function call(d: DeploymentState, qoveryCall: QoveryCall): Promise<Step> {
    const attempt = d.attempts + 1;
    // Named before the call, so a worker killed during it leaves the job waiting for its recovery.
    await coordination.markInDoubt(lanesOfState(d), d.id);
    const moved = await history.transition(d.id, {
      status: 'deploying',
      attempt,
      countAttempt: true,
      set: { intentAt: new Date(now()).toISOString(), uncertain: false },
    });
    if (!moved.applied) {
      await coordination.settle(lanesOfState(d), d.id);
      return DONE;
    }
    const target = targetOf(d);
    const version = { ...(d.imageTag !== undefined && { imageTag: d.imageTag }), ...(d.gitCommitId !== undefined && { gitCommitId: d.gitCommitId }) };
    const result = await (isRelease(target)
      ? qoveryCall.deployRelease({ target, ...version })
      : qoveryCall.deploy({ target, ...(d.forceEvent && { forceEvent: d.forceEvent }), ...version }));
    if (result.ok) {
      return accept(d, {
        httpStatus: result.httpStatus,
        attempt,
        detail: result.detail ?? `Qovery accepted the deploy (HTTP ${result.httpStatus})`,
        ...(result.status && { status: result.status }),
      });
    }
    if (result.outcome === 'unknown') return inDoubt(d, attempt, result);
    // Known not to have reached Qovery (refused, or never sent): others may call again.
    const http = result.httpStatus !== undefined ? { httpStatus: result.httpStatus } : {};
    if (result.retryable && attempt < policy.maxAttempts) {
      const delay = retryDelayMs(policy.backoff, attempt, result.retryAfterMs, random);
      await history.transition(d.id, { status: 'retrying', attempt, detail: `${result.detail}; retrying in ${delay} ms`, ...http, set: { uncertain: false } });
      await coordination.settle(lanesOfState(d), d.id);
      return later(delay);
    }
    const why = result.retryable ? `gave up after ${attempt} attempts: ${result.detail}` : result.detail;
    await history.transition(d.id, { status: 'failed', attempt, detail: why, ...http, set: { reason: why } });
    await coordination.settle(lanesOfState(d), d.id);
    return DONE;
  }

  /**
   * The lock is busy, but a newer push for the job is already waiting: whoever holds the lock, this
   * one will never deploy, so it ends now. Retried instead, each push of a burst would queue for
   * the lock in turn, and the newest would reach Qovery seconds late. A deployment whose last call
   * may have reached Qovery (uncertain) still waits for the lock, to be recovered first.
   */
  async function supersededWhileLocked(d: DeploymentState): Promise<Step | undefined> {
    if ((d.status !== 'queued' && d.status !== 'retrying') || d.uncertain) return undefined;
    const waiting = newerWaiting(d, await coordination.newestPending(lanesOfState(d)));
    return waiting && refuse(d, waiting);
  }

  async function refuse(d: DeploymentState, refused: Refusal): Promise<Step> {
    await history.transition(d.id, {
      status: refused.status,
      detail: refused.detail,
      set: { reason: refused.detail, ...(refused.by && { supersededBy: refused.by }) },
    });
    await coordination.settle(lanesOfState(d), d.id);
    return DONE;
  }

  return {
    async run(d: DeploymentState): Promise<Step> {
      if (!(await coordination.acquire(lanesOfState(d), d.id, policy.lockTtlMs))) return (await supersededWhileLocked(d)) ?? later(lockWait());
      try {
        if (d.status === 'deploying' || d.uncertain) {
          const permit = await qovery.permit();
          if (!permit.granted) return later(permit.waitMs);
          const recovered = await recover(d, permit);
          if (recovered !== 'call-again') return recovered;
        }
        const lanes = lanesOfState(d);
        const [newest, lasts] = await Promise.all([coordination.newestPending(lanes), coordination.lasts(lanes)]);
        const refused = refusal(d, newest, lasts);
        if (refused) return await refuse(d, refused);
        // Only a deployment whose lost call recovery found never arrived gets here with no attempts left.
        if (d.attempts >= policy.maxAttempts) return await giveUp(d);
        if (await otherInDoubt(d, lasts)) return later(lockWait());
        // Cancelling applies to one service's queue; a release's services may each have their own.
        if (d.targetKind !== 'environment' && lasts[0]) await cancelPrevious(d, lasts[0]);
        const permit = await qovery.permit();
        if (!permit.granted) return later(permit.waitMs);
        return await call(d, permit);
      } finally {
        await coordination.release(lanesOfState(d), d.id);
      }
    },
  };
}

export type DeployPhase = ReturnType<typeof createDeployPhase>;
