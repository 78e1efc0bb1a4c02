import type { History } from '../history/history.js';
import { lanesOfState, type DeploymentState } from '../history/model.js';
import { describeTarget, laneOf, type Release, type Target } from '../qovery/targets.js';
import type { QoveryResult, QoveryStatus } from '../qovery/client.js';
import type { JobCoordination } from './coordination.js';
import { CLOCK_SKEW_MS, classifyState, isTerminalState } from './qovery-states.js';
import { DONE, later, type Step } from './step.js';

export interface FollowPolicy {
  readonly pollIntervalMs: number;
  readonly deployTimeoutMs: number;
}

interface Deps {
  readonly history: History;
  readonly coordination: JobCoordination;
  readonly policy: FollowPolicy;
  readonly now?: () => number;
}

/**
 * Right after a deploy, Qovery can still report the previous deployment's end. A read is this
 * deployment's only when its request id is ours, or, without ids, once Qovery has shown a
 * non-terminal state or dates its last deployment after ours was accepted. Past a grace period
 * a terminal state is believed anyway, so a missed transition cannot keep us following forever.
 */
export function isStaleRead(d: DeploymentState, status: QoveryStatus, elapsedMs: number, graceMs: number): boolean {
  const theirs = status.deployment_request_id ?? undefined;
  if (theirs !== undefined && d.deploymentRequestId !== undefined) return theirs !== d.deploymentRequestId;
  if (!isTerminalState(status.state) || d.leftTerminal || elapsedMs > graceMs) return false;
  const dated = status.last_deployment_date ? Date.parse(status.last_deployment_date) : undefined;
  const acceptedAt = d.acceptedAt ? Date.parse(d.acceptedAt) : undefined;
  return !(dated !== undefined && acceptedAt !== undefined && dated >= acceptedAt - CLOCK_SKEW_MS);
}

/**
 * Qovery shows a deployment request that is not ours and began after ours was accepted: someone
 * (a person in the console, another tool) deployed the job since, so ours will never be reported.
 */
export function startedAfterUs(d: DeploymentState, status: QoveryStatus): boolean {
  const theirs = status.deployment_request_id ?? undefined;
  if (theirs === undefined || d.deploymentRequestId === undefined || theirs === d.deploymentRequestId) return false;
  const dated = status.last_deployment_date ? Date.parse(status.last_deployment_date) : Number.NaN;
  const acceptedAt = d.acceptedAt ? Date.parse(d.acceptedAt) : Number.NaN;
  return dated > acceptedAt + CLOCK_SKEW_MS;
}

/**
 * Who reported a state, as the history says it: Qovery's API, one of Qovery's webhooks, or the
 * dry-run client (whose states come from no Qovery at all, and the history says so).
 */
function reporter(dryRun: boolean, heardFrom: string | undefined): string {
  if (heardFrom !== undefined) return `${heardFrom} reported `;
  return dryRun ? 'dry-run: nothing was sent to Qovery; the dry-run client reported ' : 'Qovery reported ';
}

/**
 * Judges what Qovery reported for a followed deployment: the follower reads the statuses (one
 * environment at a time, or one service), and this records what they mean and when to look again.
 */
export function createFollowPhase(deps: Deps) {
  const { history, coordination, policy } = deps;
  const now = deps.now ?? Date.now;
  const graceMs = Math.max(60_000, 3 * policy.pollIntervalMs);
  const elapsedOf = (d: DeploymentState): number => now() - Date.parse(d.acceptedAt ?? d.updatedAt);

  /** `dryRun`: the dry-run client answered, so the deployment is marked as one that sent nothing. */
  async function observe(d: DeploymentState, status: QoveryStatus, dryRun: boolean, heardFrom: string | undefined): Promise<Step> {
    const by = reporter(dryRun, heardFrom);
    const state = status.state;
    const details = status.status_details !== undefined ? { status_details: status.status_details } : {};
    const marks = { ...(!isTerminalState(state) && { leftTerminal: true }), ...(dryRun && { dryRun: true }) };
    const seen = { qoveryState: state, ...details, set: { qoveryState: state, ...marks } };
    const verdict = classifyState(state, d.forceEvent);
    if (verdict.kind === 'succeeded') {
      // Recorded for the job first, so whoever sees this deployment succeeded also sees the guard's input.
      await coordination.markSucceeded(lanesOfState(d), d.id, d.order, d.imageTag, d.imageDigest);
      await history.transition(d.id, { status: 'succeeded', detail: `${by}${state}`, ...seen });
      return DONE;
    }
    if (verdict.kind === 'failed') {
      await history.transition(d.id, { status: 'failed', detail: verdict.reason, ...seen, set: { ...seen.set, reason: verdict.reason } });
      return DONE;
    }
    if (state !== d.qoveryState || d.status === 'accepted') {
      const detail = verdict.kind === 'unknown' ? `${by}${state}, a state the relay does not know; still following` : `${by}${state}`;
      await history.transition(d.id, { status: 'in_progress', detail, ...seen });
    }
    return later(policy.pollIntervalMs);
  }

  /** A status read that failed, or answered no body, is recorded and tried again at the next poll. */
  async function pollAgain(d: DeploymentState, call: string, result: QoveryResult, body: string): Promise<Step> {
    const detail = `${call} call failed, retrying at the next poll: ${result.ok ? `the answer had no ${body} body` : result.detail}`;
    await history.transition(d.id, { status: d.status, detail, ...(result.httpStatus !== undefined && { httpStatus: result.httpStatus }) });
    return later(policy.pollIntervalMs);
  }

  /**
   * Qovery naming the request of a newer deployment dispatched on this lane means that one has
   * replaced this one there. Qovery naming our own request cannot mean that, so the usual poll
   * skips reading the lane's last dispatch (one Redis round trip of each poll).
   */
  async function supersededAtQovery(
    d: DeploymentState,
    lane: string,
    theirs: string | undefined,
    detailOf: (newer: string) => string,
  ): Promise<Step | undefined> {
    if (theirs === undefined || theirs === d.deploymentRequestId) return undefined;
    const [last] = await coordination.lasts([lane]);
    if (!last?.dispatchedId || last.dispatchedId === d.id || theirs !== last.dispatchedRequestId) return undefined;
    const detail = detailOf(last.dispatchedId);
    await history.transition(d.id, { status: 'superseded', detail, set: { reason: detail, supersededBy: last.dispatchedId } });
    return DONE;
  }

  /**
   * A release is followed through its environment's statuses: it succeeds when every released
   * service has, fails as soon as one fails (naming it), and records each service's state.
   */
  /** `heardFrom`: the state came from one of Qovery's webhooks, named so, rather than from a read. */
  async function judgeRelease(d: DeploymentState, release: Release, result: QoveryResult, heardFrom?: string): Promise<Step> {
    const elapsed = elapsedOf(d);
    if (!result.ok || !result.services) return pollAgain(d, 'statuses', result, 'EnvironmentStatuses');
    const byId = new Map(result.services.map((status) => [status.id, status]));
    const lanes = lanesOfState(d);
    const reads = release.services.map((service, i) => ({ service, lane: lanes[i] ?? laneOf(service), status: byId.get(service.id) }));
    for (const read of reads) {
      const superseded = await supersededAtQovery(
        d,
        read.lane,
        read.status?.deployment_request_id ?? undefined,
        (newer) => `a newer deployment (${newer}) of ${describeTarget(read.service)} reached Qovery before this release's end was observed`,
      );
      if (superseded) return superseded;
    }
    // A service not listed yet, or still showing its previous deployment, counts as not done. The
    // spec does not say that a released service's Status names the environment's request: one
    // naming another request that no deployment of ours made is judged by its dates instead.
    const judged = (status: QoveryStatus) => (status.deployment_request_id === d.deploymentRequestId ? status : { ...status, deployment_request_id: null });
    const seen = reads.map((read) => ({
      ...read,
      current: read.status && !isStaleRead(d, judged(read.status), elapsed, graceMs) ? read.status : undefined,
    }));
    const services = JSON.stringify(seen.map(({ service, current }) => ({ ...service, ...(current && { state: current.state }) })));
    const states = seen.map(({ service, current }) => `${describeTarget(service)} ${current?.state ?? 'not reported yet'}`).join(', ');
    const failure = seen.flatMap(({ service, current }) => {
      const verdict = current ? classifyState(current.state, undefined) : undefined;
      return verdict?.kind === 'failed' ? [`${describeTarget(service)}: ${verdict.reason}`] : [];
    })[0];
    const prefix = reporter(result.dryRun === true, heardFrom);
    const marks = { services, ...(result.dryRun && { dryRun: true }) };
    if (failure) {
      await history.transition(d.id, { status: 'failed', detail: `${failure} (${states})`, set: { ...marks, reason: failure } });
      return DONE;
    }
    if (seen.every(({ current }) => current && classifyState(current.state, undefined).kind === 'succeeded')) {
      await coordination.markSucceeded(lanes, d.id, d.order, d.imageTag, undefined);
      await history.transition(d.id, { status: 'succeeded', detail: `${prefix}${states}`, set: marks });
      return DONE;
    }
    if (services !== d.services || d.status === 'accepted') await history.transition(d.id, { status: 'in_progress', detail: `${prefix}${states}`, set: marks });
    return later(policy.pollIntervalMs);
  }

  return {
    /** Past the deploy timeout the deployment ends `timed_out`; undefined while it is still within it. */
    async timedOut(d: DeploymentState): Promise<Step | undefined> {
      if (elapsedOf(d) <= policy.deployTimeoutMs) return undefined;
      const detail = `no end state from Qovery within ${policy.deployTimeoutMs} ms (last state ${d.qoveryState ?? 'unknown'})`;
      await history.transition(d.id, { status: 'timed_out', detail, set: { reason: detail } });
      return DONE;
    },

    judgeRelease,

    /** `result`: the service's own status read, or its Status picked from its environment's statuses. */
    async judgeService(d: DeploymentState, target: Target, result: QoveryResult, heardFrom?: string): Promise<Step> {
      const elapsed = elapsedOf(d);
      if (!result.ok || !result.status) return pollAgain(d, 'status', result, 'Status');
      const theirs = result.status.deployment_request_id ?? undefined;
      const superseded = await supersededAtQovery(
        d,
        laneOf(target),
        theirs,
        (newer) => `a newer deployment (${newer}) reached Qovery before this one's end was observed`,
      );
      if (superseded) return superseded;
      if (startedAfterUs(d, result.status)) {
        const detail = `Qovery is running another deployment of this job (request ${theirs}) that started after this one was accepted`;
        await history.transition(d.id, { status: 'superseded', detail, set: { reason: detail } });
        return DONE;
      }
      if (isStaleRead(d, result.status, elapsed, graceMs)) return later(policy.pollIntervalMs);
      return observe(d, result.status, result.dryRun === true, heardFrom);
    },
  };
}

export type FollowPhase = ReturnType<typeof createFollowPhase>;
