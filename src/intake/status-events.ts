import type { History } from '../history/history.js';
import { FOLLOWED_STATUSES, targetOf, type DeploymentState } from '../history/model.js';
import type { QoveryStatus } from '../qovery/client.js';
import { isRelease, laneOf } from '../qovery/targets.js';
import type { StatusOutcome, StatusReport } from '../sources/types.js';
import type { FollowPhase } from '../worker/follow-phase.js';
import type { FollowSet } from '../worker/follow-set.js';
import { successStateFor } from '../worker/qovery-states.js';
import type { ServiceEnvironments } from '../worker/service-environments.js';

/** How long a report naming an unknown request waits for its deployment to be enlisted. */
const EARLY_EVENT_MS = 3_600_000;

/** The Qovery state an event's outcome stands for, for a deployment asking for this force event. */
function stateFor(outcome: StatusOutcome, forceEvent: string | undefined): string {
  if (outcome === 'succeeded') return successStateFor(forceEvent);
  return { started: 'DEPLOYING', failed: 'DEPLOYMENT_ERROR', cancelled: 'CANCELED' }[outcome];
}

/**
 * Applies Qovery's deployment events to what is followed. An event naming the request of a
 * followed deployment settles it at once, judged as a status read naming that request would be,
 * with no call to Qovery. An event that names no followed deployment, or a release's failure
 * (which does not say which service failed), has its environment read again at once instead.
 * Either way the environment is then polled only as a safety net while events keep coming.
 */
export function createStatusEvents(deps: {
  history: History;
  followSet: FollowSet;
  environments: ServiceEnvironments;
  phase: FollowPhase;
  safetyIntervalMs: number;
  now?: () => number;
}) {
  const { history, followSet, environments, phase } = deps;
  const now = deps.now ?? Date.now;

  return {
    async apply(event: string, report: StatusReport): Promise<{ moved: string[]; rechecked: string[] }> {
      const ids = await followSet.requests(report.requestIds);
      const followed = (await history.getDeploymentStates(ids)).filter((d): d is DeploymentState => d !== undefined && FOLLOWED_STATUSES.has(d.status));
      const heard = new Set<string>(report.environmentId !== undefined ? [report.environmentId] : []);
      const recheck = new Set<string>();
      const moved: string[] = [];
      const heardFrom = `Qovery's ${event} webhook`;
      for (const d of followed) {
        const target = targetOf(d);
        const environmentId = isRelease(target) ? target.id : await environments.of(laneOf(target));
        if (environmentId !== undefined) heard.add(environmentId);
        const status: QoveryStatus = {
          id: target.id,
          state: stateFor(report.outcome, d.forceEvent),
          deployment_request_id: d.deploymentRequestId ?? null,
          last_deployment_date: report.at ?? new Date(now()).toISOString(),
        };
        if (!isRelease(target)) {
          await phase.judgeService(d, target, { ok: true, httpStatus: 200, status }, heardFrom);
          moved.push(d.id);
        } else if (report.outcome === 'failed' || report.outcome === 'cancelled') {
          recheck.add(target.id);
        } else {
          await phase.judgeRelease(d, target, { ok: true, httpStatus: 200, services: target.services.map((s) => ({ ...status, id: s.id })) }, heardFrom);
          moved.push(d.id);
        }
      }
      if (followed.length === 0 && report.environmentId !== undefined) recheck.add(report.environmentId);
      // Qovery may report a request before the relay has recorded Qovery's answer naming it.
      if (followed.length === 0) await followSet.noteEarlyEvents(report.requestIds, EARLY_EVENT_MS);
      for (const environmentId of recheck) await followSet.hasten(environmentId, now());
      await followSet.heard([...heard], deps.safetyIntervalMs);
      return { moved, rechecked: [...recheck] };
    },
  };
}

export type StatusEvents = ReturnType<typeof createStatusEvents>;
