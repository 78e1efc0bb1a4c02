/**
 * The Qovery service kinds the relay deploys, in one table: the rules-file key that names each,
 * the versions it can be deployed at, and the API paths and request body of its deploy call.
 * Rules validation, the deploy calls, the dry run and the fake Qovery all read it here.
 */

export type DeployMode = 'tag' | 'commit';

interface TargetKindSpec {
  /** The key of a route's `target` that names a service of this kind. */
  readonly ruleKey: string;
  /** The path segment of the kind in Qovery's API: `/<segment>/{id}/deploy`, `/<segment>/{id}/status`. */
  readonly segment: string;
  /** What a route's `deploy:` may be for this kind. */
  readonly modes: readonly DeployMode[];
  /** The deploy call's body field that carries a tag (`deploy: tag`), where the kind takes one. */
  readonly tagField?: string;
  /** The values of Qovery's `forceEvent` query parameter the kind's deploy call takes. */
  readonly forceEvents: readonly string[];
  /** Where the kind goes in an environment's DeployAllRequest: its list and the field naming the service. */
  readonly release: { readonly list: string; readonly idField: string };
}

// From Qovery's OpenAPI spec: DeployRequest (git_commit_id), ContainerDeployRequest (image_tag),
// HelmDeployRequest (chart_version or git_commit_id), JobDeployRequest (image_tag or
// git_commit_id); JobForceEvent. (HelmForceEvent DIFF only computes a diff: no deploy to follow.)
export const TARGET_KINDS = {
  job: {
    ruleKey: 'jobId',
    segment: 'job',
    modes: ['tag', 'commit'],
    tagField: 'image_tag',
    forceEvents: ['START', 'STOP', 'DELETE', 'CRON'],
    release: { list: 'jobs', idField: 'id' },
  },
  application: {
    ruleKey: 'applicationId',
    segment: 'application',
    modes: ['commit'],
    forceEvents: [],
    release: { list: 'applications', idField: 'application_id' },
  },
  container: {
    ruleKey: 'containerId',
    segment: 'container',
    modes: ['tag'],
    tagField: 'image_tag',
    forceEvents: [],
    release: { list: 'containers', idField: 'id' },
  },
  // A helm service's "tag" is the chart version it deploys.
  helm: { ruleKey: 'helmId', segment: 'helm', modes: ['tag', 'commit'], tagField: 'chart_version', forceEvents: [], release: { list: 'helms', idField: 'id' } },
} as const satisfies Record<string, TargetKindSpec>;

export const FORCE_EVENTS = [...new Set(Object.values(TARGET_KINDS).flatMap((k): readonly string[] => k.forceEvents))] as [string, ...string[]];

export type TargetKind = keyof typeof TARGET_KINDS;

export const TARGET_KIND_NAMES = Object.keys(TARGET_KINDS) as [TargetKind, ...TargetKind[]];

/** One Qovery service. */
export interface Target {
  readonly kind: TargetKind;
  readonly id: string;
}

/** Several services of one environment released together, in one call. */
export interface Release {
  readonly kind: 'environment';
  readonly id: string;
  readonly services: readonly Target[];
}

/** What one deployment deploys: one service, or a release of several. */
export type DeploymentTarget = Target | Release;

export type DeploymentKind = DeploymentTarget['kind'];

export const DEPLOYMENT_KINDS = [...TARGET_KIND_NAMES, 'environment'] as [DeploymentKind, ...DeploymentKind[]];

export const isRelease = (target: DeploymentTarget): target is Release => target.kind === 'environment';

/**
 * The name one service's deployments share for newest-wins, its lock and its last deploy; for a
 * release, the name of its own index. A job's is its id alone, as it was before other kinds
 * existed, so stored coordination keeps working.
 */
export function laneOf(target: { readonly kind: DeploymentKind; readonly id: string }): string {
  return target.kind === 'job' ? target.id : `${target.kind}:${target.id}`;
}

/** The lanes a deployment holds: its service's, or every released service's. */
export function lanesOf(target: DeploymentTarget): string[] {
  return isRelease(target) ? target.services.map(laneOf) : [laneOf(target)];
}

export interface DeployCall {
  readonly target: Target;
  readonly forceEvent?: string;
  readonly imageTag?: string;
  readonly gitCommitId?: string;
}

/** The body field that carries the version for this kind: the commit, or the kind's tag field. */
function versionOf(spec: TargetKindSpec, version: { readonly imageTag?: string; readonly gitCommitId?: string }): Record<string, string> {
  return version.gitCommitId !== undefined ? { git_commit_id: version.gitCommitId } : { [spec.tagField ?? 'image_tag']: version.imageTag ?? '' };
}

/** Path and body of the deploy call Qovery's API takes for this service and version. */
export function deployRequestOf(call: DeployCall): { readonly path: string; readonly body: Record<string, string> } {
  const spec: TargetKindSpec = TARGET_KINDS[call.target.kind];
  const query = call.forceEvent && spec.forceEvents.includes(call.forceEvent) ? `?forceEvent=${encodeURIComponent(call.forceEvent)}` : '';
  return { path: `/${spec.segment}/${encodeURIComponent(call.target.id)}/deploy${query}`, body: versionOf(spec, call) };
}

/** The service itself (`GET /<kind>/{id}`), whose required `environment` names its environment. */
export function servicePathOf(target: Target): string {
  return `/${TARGET_KINDS[target.kind].segment}/${encodeURIComponent(target.id)}`;
}

export function statusPathOf(target: Target): string {
  return `/${TARGET_KINDS[target.kind].segment}/${encodeURIComponent(target.id)}/status`;
}

export interface ReleaseCall {
  readonly target: Release;
  readonly imageTag?: string;
  readonly gitCommitId?: string;
}

/** `POST /environment/{id}/service/deploy` with a DeployAllRequest listing every service at the version. */
export function releaseRequestOf(call: ReleaseCall): { readonly path: string; readonly body: Record<string, Array<Record<string, string>>> } {
  const body: Record<string, Array<Record<string, string>>> = {};
  for (const service of call.target.services) {
    const spec: TargetKindSpec = TARGET_KINDS[service.kind];
    (body[spec.release.list] ??= []).push({ [spec.release.idField]: service.id, ...versionOf(spec, call) });
  }
  return { path: `/environment/${encodeURIComponent(call.target.id)}/service/deploy`, body };
}

/** Every service's Status in an environment: the EnvironmentStatuses body, one list per kind. */
export const environmentStatusesPathOf = (environmentId: string): string => `/environment/${encodeURIComponent(environmentId)}/statuses`;

/** The environment's own EnvironmentStatus, which names its last deployment request. */
export const releaseStatusPathOf = (release: Release): string => `/environment/${encodeURIComponent(release.id)}/status`;

/** The list of an EnvironmentStatuses body that holds services of this kind. */
export const statusesListOf = (kind: TargetKind): string => TARGET_KINDS[kind].release.list;

/** A kind with its article, for messages: `a job`, `an application`, `a helm service`. */
export const aKind = (kind: TargetKind): string => ({ job: 'a job', application: 'an application', container: 'a container', helm: 'a helm service' })[kind];

/** How a target is named in messages: `job 0a1b…`, `application 9f8e…`, `environment 5c2d… (3 services)`. */
export const describeTarget = (target: DeploymentTarget): string =>
  isRelease(target) ? `environment ${target.id} (${target.services.length} services)` : `${target.kind} ${target.id}`;
