import { randomUUID } from 'node:crypto';
import type { QoveryClient, QoveryResult, QoveryStatus } from './client.js';
import { deployRequestOf, laneOf, releaseRequestOf, type DeployCall, type Release, type ReleaseCall, type Target } from './targets.js';

/** The request the live client would send for a deploy, as the dry run records it. */
export function describeDeployCall(request: DeployCall): string {
  const { path, body } = deployRequestOf(request);
  return `POST ${path} ${JSON.stringify(body)}`;
}

/** The end state a real deploy with this force event would reach, so following ends as it would live. */
const END_STATE: Readonly<Record<string, string>> = { STOP: 'STOPPED', DELETE: 'DELETED' };

/**
 * A Qovery client that calls nothing: a deploy is answered as accepted with a detail naming the
 * request it would have sent, and the service's status is at once the end that deploy asked for, so
 * intake, queue, worker and following all run and the history shows each deployment as a dry run.
 * It has the live client's interface, so the worker still reaches it only through budget permits.
 */
export function createDryRunQoveryClient(deps: { now?: () => number } = {}): QoveryClient {
  const now = deps.now ?? Date.now;
  // The last dry deploy of each service, so status reads name its request id as Qovery's would.
  const lastByLane = new Map<string, { requestId: string; at: string; end: string }>();
  // Where each service was seen: its release's environment, or one of its own the lookup made up.
  const members = new Map<string, Map<string, Target>>();
  const join = (environmentId: string, service: Target): void => {
    const list = members.get(environmentId) ?? new Map<string, Target>();
    list.set(laneOf(service), service);
    members.set(environmentId, list);
  };

  const status = (target: Target | Release, state: string, requestId: string | null, at: string | null): QoveryStatus => ({
    id: target.id,
    state,
    deployment_request_id: requestId,
    last_deployment_date: at,
    status_details: { action: 'DEPLOY', status: state.endsWith('QUEUED') ? 'QUEUED' : 'SUCCESS', sub_action: 'NONE', dry_run: true },
  });

  /**
   * The end the last dry deploy of this service asked for. A process restarted since the deploy
   * has no record of it: an end dated now, which following accepts as the end it is waiting for.
   */
  const endOf = (target: Target | Release): QoveryStatus => {
    const last = lastByLane.get(laneOf(target));
    return status(target, last?.end ?? 'DEPLOYED', last?.requestId ?? null, last?.at ?? new Date(now()).toISOString());
  };

  return {
    async deploy(request: DeployCall): Promise<QoveryResult> {
      const requestId = randomUUID();
      const at = new Date(now()).toISOString();
      lastByLane.set(laneOf(request.target), { requestId, at, end: END_STATE[request.forceEvent ?? ''] ?? 'DEPLOYED' });
      return {
        ok: true,
        httpStatus: 202,
        dryRun: true,
        detail: `dry-run: would ${describeDeployCall(request)}`,
        status: status(request.target, 'DEPLOYMENT_QUEUED', requestId, at),
      };
    },
    async cancelDeploymentRequest(requestId: string): Promise<QoveryResult> {
      return { ok: true, httpStatus: 202, dryRun: true, detail: `dry-run: would POST /deploymentQueue/${requestId}/cancelDeployment` };
    },
    async getStatus(target: Target): Promise<QoveryResult> {
      return { ok: true, httpStatus: 200, dryRun: true, status: endOf(target) };
    },
    /** Without Qovery there is no environment to read: each service gets one of its own, named after it. */
    async getServiceEnvironment(target: Target): Promise<QoveryResult> {
      const environmentId = `dry-run-${laneOf(target).replace(':', '-')}`;
      join(environmentId, target);
      return { ok: true, httpStatus: 200, dryRun: true, environmentId };
    },
    async deployRelease(request: ReleaseCall): Promise<QoveryResult> {
      const requestId = randomUUID();
      const at = new Date(now()).toISOString();
      for (const service of request.target.services) {
        lastByLane.set(laneOf(service), { requestId, at, end: 'DEPLOYED' });
        join(request.target.id, service);
      }
      lastByLane.set(laneOf(request.target), { requestId, at, end: 'DEPLOYED' });
      const { path, body } = releaseRequestOf(request);
      return {
        ok: true,
        httpStatus: 202,
        dryRun: true,
        detail: `dry-run: would POST ${path} ${JSON.stringify(body)}`,
        status: status(request.target, 'DEPLOYMENT_QUEUED', requestId, at),
      };
    },
    async getReleaseStatus(release: Release): Promise<QoveryResult> {
      return { ok: true, httpStatus: 200, dryRun: true, status: endOf(release) };
    },
    /** The services this process saw in the environment; a restarted one lists none, and following falls back to each service's own status. */
    async getEnvironmentStatuses(environmentId: string): Promise<QoveryResult> {
      return { ok: true, httpStatus: 200, dryRun: true, services: [...(members.get(environmentId)?.values() ?? [])].map((service) => endOf(service)) };
    },
  };
}
