/**
 * A fake Qovery API that is a real HTTP server, so the relay's client is tested over real sockets.
 *
 * What the real API does, and where that was read (stored copies of Qovery's public repos):
 * - POST /job/{jobId}/deploy?forceEvent=START|STOP|DELETE|CRON, body JobDeployRequest
 *   {id?, image_tag?, git_commit_id?}; "image_tag cannot be set if git_commit_id is defined" and
 *   "you must provide a git commit id or an image tag". Answers 202 with a Status; documented
 *   errors 400, 401, 403, 404, 409 ("Operation is in progress").
 *   (qovery-client-python docs/JobActionsApi.md, qovery-client-rust docs/JobDeployRequest.md,
 *   docs/JobForceEvent.md, src/apis/job_actions_api.rs)
 * - GET /job/{jobId}/status answers a Status (qovery-client-rust docs/JobMainCallsApi.md).
 * - The other service kinds (Qovery/qovery-openapi-spec openapi.yaml at 651aed5): POST
 *   /application/{id}/deploy, body DeployRequest {git_commit_id} (required), no query parameter;
 *   POST /container/{id}/deploy, body ContainerDeployRequest {image_tag} (required); POST
 *   /helm/{id}/deploy?forceEvent=DIFF, body HelmDeployRequest {chart_version?, git_commit_id?,
 *   values_override_git_commit_id?}, chart_version and git_commit_id exclusive. Each answers 202
 *   with a Status, errors 400, 401, 403, 404, 409; GET /<kind>/{id}/status answers a Status.
 * - POST /environment/{id}/service/deploy, body DeployAllRequest {applications[{application_id,
 *   git_commit_id?}], databases[uuid], containers[{id, image_tag?}], jobs[{id?, image_tag?,
 *   git_commit_id?}], helms[{id?, chart_version?, git_commit_id?, values_override_git_commit_id?}]},
 *   answers 202 with an EnvironmentStatus {id, state, last_deployment_date, last_deployment_state,
 *   last_deployment_id, total_deployment_duration_in_seconds, origin, triggered_by,
 *   deployment_status, deployment_request_id, metrics}; GET /environment/{id}/statuses answers
 *   EnvironmentStatuses {environment, applications, containers, jobs, databases, helms, terraforms},
 *   each list of Status; GET /environment/{id}/status an EnvironmentStatus. Each service deployed
 *   in one request carries that request's id in its Status (assumed: the spec does not say).
 * - GET /application/{id}, /container/{id}, /job/{id}, /helm/{id} (getApplication, getContainer,
 *   getJob, getHelm) answer Application, ContainerResponse, JobResponse, HelmResponse; each requires
 *   `environment` (ReferenceObject {id}), with id, created_at, name, service_type among the rest.
 *   A service the test did not place (placeService) is in an environment of its own.
 * - POST /deploymentQueue/{deploymentRequestId}/cancelDeployment (cancelDeploymentRequest): 202
 *   with no body; 409 "Deployment request is already cancelled or an operation is in progress".
 * - Status: required id (uuid), state (StateEnum), service_deployment_status (NEVER_DEPLOYED |
 *   OUT_OF_DATE | UP_TO_DATE), is_part_last_deployment, status_details {action, status,
 *   sub_action}, deployment_request_id (uuid, nullable), deployment_requests_count; optional
 *   last_deployment_date (date-time), steps, execution_id (qovery-client-rust docs/Status.md,
 *   docs/StatusDetails.md). Older clients list fewer required keys (qovery-client-go
 *   docs/Status.md), so a client should not insist on the newer ones.
 * - StateEnum: BUILDING BUILD_ERROR CANCELED CANCELING DELETED DELETE_ERROR DELETE_QUEUED DELETING
 *   DEPLOYED DEPLOYING DEPLOYMENT_ERROR DEPLOYMENT_QUEUED EXECUTING QUEUED READY RECAP RESTARTED
 *   RESTARTING RESTART_ERROR RESTART_QUEUED STOPPED STOPPING STOP_ERROR STOP_QUEUED
 *   WAITING_DELETING WAITING_RESTARTING WAITING_RUNNING WAITING_STOPPING (rust docs/StateEnum.md;
 *   older go client also has RUNNING). The enum grows, so unknown states must be tolerated.
 * - status_details: action DEPLOY|DELETE|RESTART|STOP|UNKNOWN; status QUEUED|ONGOING|SUCCESS|
 *   ERROR|EXECUTING|CANCELED|CANCELING|NEVER; sub_action NONE|TERRAFORM_* (rust docs/Service*Enum.md).
 * - Auth: security schemes ApiKeyAuth (header Authorization, used as "Token <api token>", e.g.
 *   terraform-provider-qovery tests) and bearerAuth ("Bearer <jwt>") (qovery-client-go README.md).
 * - Errors: the spec declares 4xx responses with a description only, no body schema. The
 *   {status, detail} JSON body here follows the brief and is not confirmed by the spec; proxies
 *   may answer with an empty body or an HTML page, which the fake can also do.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';
import { isUuid, parseBody, readBody, sendError, sendJson, type ErrorBodyKind } from './fake-qovery-http.js';
import { createFakeWebhooks, type FakeWebhooks } from './fake-qovery-webhooks.js';
import {
  DEFAULT_WALK,
  FORCE_EVENTS,
  NEVER_DEPLOYED,
  actionFor,
  buildStatus,
  finalState,
  isFinished,
  nextStep,
  queuedStateFor,
  startWalk,
  type DeploymentSnapshot,
  type StatusStep,
  type StatusWalk,
} from './fake-qovery-status.js';

export type { StatusStep } from './fake-qovery-status.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON ('' when there was no body). */
  body: unknown;
  at: number;
  /** The deployment_request_id a deploy call created, when Qovery took it (whatever answer the client then saw). */
  acceptedAs?: string;
  /** For GET /environment/{id}/statuses: the services whose Status it listed. */
  servicesRead?: string[];
}

export type FakeAnswer =
  | { kind: 'accept' }
  | { kind: 'error'; status: number; detail?: string; body?: ErrorBodyKind; retryAfter?: string }
  | { kind: 'hang' }
  /** Qovery takes the deploy at once but its answer comes only after `answerAfterMs` (a lost answer, seen from a client that timed out). */
  | { kind: 'accept-late'; answerAfterMs: number }
  /** Qovery takes the deploy, then a gateway in front of it answers this error instead (a lost 202). */
  | { kind: 'accept-then-error'; status: number; body?: ErrorBodyKind }
  /** Qovery takes the deploy, then the connection dies before any answer. */
  | { kind: 'accept-then-reset' };

export interface FakeQovery {
  url: string;
  requests: RecordedRequest[];
  deployCalls(jobId?: string): RecordedRequest[];
  /** Reads of a service's status: at its own endpoint, or in its environment's statuses. */
  statusCalls(jobId?: string): RecordedRequest[];
  /** GET /environment/{id}/statuses calls (of one environment, or all). */
  environmentStatusCalls(environmentId?: string): RecordedRequest[];
  /** GET /<kind>/{id} calls: the relay learning a service's environment. */
  lookupCalls(serviceId?: string): RecordedRequest[];
  /** Puts a service in an environment, as created in Qovery's console; its statuses list it from then on. */
  placeService(kind: ServiceKind, serviceId: string, environmentId: string): void;
  /** Answers for the next GET /<kind>/{id} calls of a service ('*': any), used up in order. */
  scriptLookup(serviceId: string | '*', answers: FakeAnswer[]): void;
  /** Organization webhooks registered through the API, and the deployment events delivered to them. */
  readonly webhooks: Pick<FakeWebhooks, 'deliveries' | 'webhooks' | 'setSecretHeader' | 'settled'>;
  /**
   * With a step time, each deploy walks its status script on a clock (one step per `stepMs`), as
   * a real deployment runs whether anyone reads it; reads then only look. Undefined: one step per read.
   */
  setTimedWalk(stepMs: number | undefined): void;
  /** Answers for the next deploy calls of a job ('*': any job without its own), used up in order. */
  scriptDeploy(jobId: string | '*', answers: FakeAnswer[]): void;
  /** The walk each later accepted deploy of the job starts; one step per status read, last repeats. */
  scriptStatus(jobId: string | '*', steps: StatusStep[]): void;
  /** deployment_request_id of every accepted deploy of the job, oldest first. */
  deployments(jobId: string): string[];
  /** Most deploy calls of the job that were open at the same moment. */
  maxConcurrentDeploys(jobId: string): number;
  /** POST /deploymentQueue/{id}/cancelDeployment calls, with the request id in the path. */
  cancelCalls(): RecordedRequest[];
  /** POST /environment/{id}/service/deploy calls (of one environment, or all). */
  releaseCalls(environmentId?: string): RecordedRequest[];
  /** Deploy calls open now, over every job. */
  openDeploys(): number;
  setDeployDelay(ms: number): void;
  /** Whether the services of one environment deploy share its request id in their Status (default) or get their own. */
  setReleaseRequestIds(mode: 'shared' | 'per-service'): void;
  /** With a token, calls need "Authorization: Token <t>" or "Bearer <t>"; undefined turns auth off. */
  setToken(token: string | undefined): void;
  reset(): void;
  close(): Promise<void>;
}

interface JobState {
  current: DeploymentSnapshot;
  previous: DeploymentSnapshot;
  walk: StatusWalk | null;
  deployments: string[];
  inFlight: number;
  maxInFlight: number;
}

const JobDeployBody = z.object({
  id: z.string().optional(),
  image_tag: z.string().min(1).optional(),
  git_commit_id: z.string().min(1).optional(),
});
/** DeployRequest (applications): git_commit_id required. */
const ApplicationDeployBody = z.object({ git_commit_id: z.string().min(1) });
/** ContainerDeployRequest: image_tag required. */
const ContainerDeployBody = z.object({ image_tag: z.string().min(1) });
/** HelmDeployRequest: nothing required; chart_version and git_commit_id exclude each other. */
const HelmDeployBody = z.object({
  chart_version: z.string().min(1).optional(),
  git_commit_id: z.string().min(1).optional(),
  values_override_git_commit_id: z.string().min(1).optional(),
});

/** DeployAllRequest: every list optional; applications need application_id, containers id. */
const DeployAllBody = z.object({
  applications: z.array(z.object({ application_id: z.uuid(), git_commit_id: z.string().optional() })).optional(),
  databases: z.array(z.uuid()).optional(),
  containers: z.array(z.object({ id: z.uuid(), image_tag: z.string().optional() })).optional(),
  jobs: z.array(z.object({ id: z.uuid().optional(), image_tag: z.string().optional(), git_commit_id: z.string().optional() })).optional(),
  helms: z
    .array(
      z.object({
        id: z.uuid().optional(),
        chart_version: z.string().optional(),
        git_commit_id: z.string().optional(),
        values_override_git_commit_id: z.string().optional(),
      }),
    )
    .optional(),
});
type DeployAll = z.infer<typeof DeployAllBody>;

/** Which list of EnvironmentStatuses (and of DeployAllRequest) holds each kind. */
const RELEASE_LIST: Record<ServiceKind, string> = { job: 'jobs', application: 'applications', container: 'containers', helm: 'helms' };

function listedServices(body: DeployAll): Array<[ServiceKind, string]> {
  return [
    ...(body.applications ?? []).map((a): [ServiceKind, string] => ['application', a.application_id]),
    ...(body.containers ?? []).map((c): [ServiceKind, string] => ['container', c.id]),
    ...(body.jobs ?? []).flatMap((j): Array<[ServiceKind, string]> => (j.id ? [['job', j.id]] : [])),
    ...(body.helms ?? []).flatMap((h): Array<[ServiceKind, string]> => (h.id ? [['helm', h.id]] : [])),
  ];
}

/** The service kinds with a deploy and a status endpoint, as Qovery's API names them in paths. */
export type ServiceKind = 'job' | 'application' | 'container' | 'helm';
const ENVIRONMENT_PATH = /^\/environment\/([^/]+)\/(service\/deploy|statuses|status)$/;
const CANCEL_PATH = /^\/deploymentQueue\/([^/]+)\/cancelDeployment$/;
const SERVICE_PATH = /^\/(job|application|container|helm)\/([^/]+)\/(deploy|status)$/;
const LOOKUP_PATH = /^\/(job|application|container|helm)\/([^/]+)$/;

/** Why Qovery would refuse this deploy with a 400, or undefined when it is well formed. */
function deployProblem(kind: ServiceKind, query: Record<string, string>, body: unknown): string | undefined {
  const forceEvent = query.forceEvent;
  // applicationDeploy and containerDeploy take no query parameter: one sent is ignored, as by any HTTP API.
  const allowedEvents: readonly string[] = kind === 'job' ? FORCE_EVENTS : kind === 'helm' ? ['DIFF'] : [];
  if (forceEvent !== undefined && (kind === 'job' || kind === 'helm') && !allowedEvents.includes(forceEvent)) {
    return `forceEvent must be one of ${allowedEvents.join(', ')}`;
  }
  if (kind === 'application') return ApplicationDeployBody.safeParse(body).success ? undefined : 'you must provide a git commit id (git_commit_id)';
  if (kind === 'container') return ContainerDeployBody.safeParse(body).success ? undefined : 'you must provide a container image tag (image_tag)';
  if (kind === 'helm') {
    const parsed = HelmDeployBody.safeParse(body);
    if (!parsed.success) return 'body must be a JSON object with string chart_version, git_commit_id or values_override_git_commit_id';
    return parsed.data.chart_version && parsed.data.git_commit_id ? 'chart_version cannot be set if git_commit_id is defined' : undefined;
  }
  const parsed = JobDeployBody.safeParse(body);
  if (!parsed.success) return 'body must be a JSON object with a non-empty image_tag or git_commit_id';
  const { image_tag: imageTag, git_commit_id: commit } = parsed.data;
  if (imageTag && commit) return 'image_tag cannot be set if git_commit_id is defined';
  if (!imageTag && !commit) return 'you must provide a git commit id or an image tag';
  return undefined;
}

function authorized(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const match = /^(token|bearer) (.+)$/i.exec(header ?? '');
  return match?.[2] === token;
}

export async function startFakeQovery(options: { token?: string; port?: number } = {}): Promise<FakeQovery> {
  const requests: RecordedRequest[] = [];
  const jobs = new Map<string, JobState>();
  const deployScripts = new Map<string, FakeAnswer[]>();
  /** Each accepted deployment request: whether Qovery began it (a status read past its queued state) or it was cancelled. */
  const deploymentRequests = new Map<
    string,
    { started: boolean; cancelled: boolean; ended: boolean; members: Map<string, ServiceKind>; environmentId?: string }
  >();
  const webhooks = createFakeWebhooks();
  const walkTimers = new Map<string, NodeJS.Timeout>();
  let timedStepMs: number | undefined;
  /** Environments: their last request through service/deploy, if any, and the services in them. */
  const environments = new Map<string, { requestId?: string; at?: string; members: Map<string, ServiceKind> }>();
  /** Each service's environment, once placed, looked up or released. */
  const placement = new Map<string, string>();
  const lookupScripts = new Map<string, FakeAnswer[]>();
  const statusScripts = new Map<string, readonly StatusStep[]>();
  const sockets = new Set<Socket>();
  const pendingDelays = new Set<() => void>();
  let token = options.token;
  let deployDelay = 0;
  let releaseRequestIds: 'shared' | 'per-service' = 'shared';

  const job = (jobId: string): JobState => {
    let state = jobs.get(jobId);
    if (!state) {
      state = { current: NEVER_DEPLOYED, previous: NEVER_DEPLOYED, walk: null, deployments: [], inFlight: 0, maxInFlight: 0 };
      jobs.set(jobId, state);
    }
    return state;
  };

  const list = (kind: ServiceKind, serviceId: string, environmentId: string): void => {
    const environment = environments.get(environmentId) ?? { members: new Map<string, ServiceKind>() };
    environment.members.set(serviceId, kind);
    environments.set(environmentId, environment);
  };
  /** The service's one environment from now on (moved there, when it was elsewhere). */
  const place = (kind: ServiceKind, serviceId: string, environmentId: string): void => {
    const previous = placement.get(serviceId);
    if (previous !== undefined) environments.get(previous)?.members.delete(serviceId);
    placement.set(serviceId, environmentId);
    list(kind, serviceId, environmentId);
  };

  // Resolves early when close() runs, so no timer outlives the server.
  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (ms <= 0) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        pendingDelays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pendingDelays.add(done);
    });

  const takeAnswer = (jobId: string): FakeAnswer | undefined => {
    const own = deployScripts.get(jobId);
    if (own && own.length > 0) return own.shift();
    return deployScripts.get('*')?.shift();
  };

  // Counted from arrival until the response is over or its socket dies, whatever the answer.
  const trackInFlight = (jobId: string, res: ServerResponse): void => {
    const state = job(jobId);
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    res.once('close', () => {
      state.inFlight -= 1;
    });
  };

  /** Reports a request's start and end to the webhooks, as Qovery does, once each. */
  const report = (jobId: string): void => {
    const state = job(jobId);
    const requestId = state.current.deploymentRequestId ?? '';
    const request = deploymentRequests.get(requestId);
    if (!request) return;
    const event = { requestId, ...(request.environmentId !== undefined && { environmentId: request.environmentId }) };
    const services = [...request.members].map(([id, kind]) => ({ id, kind }));
    if (!request.started && !state.current.state.endsWith('QUEUED')) {
      request.started = true;
      webhooks.emit({ ...event, type: 'DEPLOYMENT_STARTED', services, state: state.current.state });
    }
    const states = [...request.members.keys()].map((id) => job(id).current);
    if (request.ended || !states.every((current) => current.deploymentRequestId !== requestId || isFinished(current.state))) return;
    request.ended = true;
    const failed = states.find((current) => current.state.endsWith('_ERROR'));
    const cancelled = states.find((current) => current.state === 'CANCELED');
    const type = failed ? 'DEPLOYMENT_FAILURE' : cancelled ? 'DEPLOYMENT_CANCELLED' : 'DEPLOYMENT_SUCCESSFUL';
    webhooks.emit({ ...event, type, services, state: (failed ?? cancelled ?? state.current).state });
  };

  /** Moves a service one step along its walk; undefined when the step is an error or a stale read to serve. */
  const advance = (jobId: string): StatusStep | undefined => {
    const state = job(jobId);
    if (!state.walk) return undefined;
    const step = nextStep(state.walk);
    if (!('state' in step)) return step;
    state.current = { ...state.current, state: step.state };
    report(jobId);
    return undefined;
  };

  const startClock = (jobId: string): void => {
    clearInterval(walkTimers.get(jobId));
    if (timedStepMs === undefined) return;
    const timer = setInterval(() => {
      advance(jobId);
      if (isFinished(job(jobId).current.state)) {
        clearInterval(timer);
        walkTimers.delete(jobId);
      }
    }, timedStepMs);
    walkTimers.set(jobId, timer);
  };

  /** `id`: the request, shared by every service of an environment's deploy. */
  const accept = (jobId: string, kind: ServiceKind, rec: RecordedRequest, id: string = randomUUID()): object => {
    const query = rec.query;
    const state = job(jobId);
    // The deployment being replaced is remembered as it ends, for later stale reads.
    state.previous = state.walk ? { ...state.current, state: finalState(state.walk.steps, state.current.state) } : state.current;
    const action = actionFor(query.forceEvent ?? null);
    state.deployments.push(id);
    const request = deploymentRequests.get(id) ?? { started: false, cancelled: false, ended: false, members: new Map<string, ServiceKind>() };
    request.members.set(jobId, kind);
    const environmentId = placement.get(jobId);
    if (environmentId !== undefined) request.environmentId = environmentId;
    deploymentRequests.set(id, request);
    rec.acceptedAs = id;
    state.current = {
      state: queuedStateFor(action),
      deploymentRequestId: id,
      action,
      lastDeploymentDate: new Date().toISOString(),
      executionId: `${jobId}-${state.deployments.length}-${Math.floor(Date.now() / 1000)}`,
    };
    state.walk = startWalk(statusScripts.get(jobId) ?? statusScripts.get('*') ?? DEFAULT_WALK);
    startClock(jobId);
    return buildStatus(jobId, state.current);
  };

  const handleDeploy = async (kind: ServiceKind, jobId: string, rec: RecordedRequest, res: ServerResponse): Promise<void> => {
    const answer = takeAnswer(jobId);
    if (answer?.kind === 'hang') return; // left open until the client gives up or close() runs
    await delay(deployDelay);
    if (answer?.kind === 'error') return sendError(res, answer);
    if (!isUuid(jobId)) return sendError(res, { status: 404, detail: `${kind} ${jobId} not found` });
    const problem = deployProblem(kind, rec.query, rec.body);
    if (problem) return sendError(res, { status: 400, detail: problem });
    const body = accept(jobId, kind, rec);
    if (answer?.kind === 'accept-then-error') return sendError(res, { status: answer.status, ...(answer.body && { body: answer.body }) });
    if (answer?.kind === 'accept-then-reset') return void res.socket?.destroy();
    if (answer?.kind === 'accept-late') await delay(answer.answerAfterMs);
    if (!res.destroyed) sendJson(res, 202, body);
  };

  /** One status read of a service: the next step of its walk (or the error the walk scripts). */
  const readService = (jobId: string): { error: number } | Record<string, unknown> => {
    const state = job(jobId);
    const step = timedStepMs === undefined ? advance(jobId) : undefined;
    if (step && 'error' in step) return { error: step.error };
    if (step && 'stale' in step) return buildStatus(jobId, state.previous);
    return buildStatus(jobId, state.current);
  };

  const handleStatus = (kind: ServiceKind, jobId: string, res: ServerResponse): void => {
    if (!isUuid(jobId)) return sendError(res, { status: 404, detail: `${kind} ${jobId} not found` });
    const read = readService(jobId);
    if ('error' in read) return sendError(res, { status: read.error as number });
    sendJson(res, 200, read);
  };

  /** EnvironmentStatus: the environment's state and its last deployment request. */
  const environmentStatus = (environmentId: string, state: string): Record<string, unknown> => {
    const last = environments.get(environmentId);
    return {
      id: environmentId,
      state,
      last_deployment_date: last?.at ?? null,
      last_deployment_state: state,
      last_deployment_id: null,
      total_deployment_duration_in_seconds: null,
      origin: last?.requestId ? 'API' : null,
      triggered_by: null,
      deployment_status: last?.requestId ? 'OUT_OF_DATE' : 'NEVER_DEPLOYED',
      deployment_request_id: last?.requestId ?? null,
      metrics: null,
    };
  };

  const handleEnvironmentDeploy = async (environmentId: string, rec: RecordedRequest, res: ServerResponse): Promise<void> => {
    const parsed = DeployAllBody.safeParse(rec.body);
    // Each listed service counts the call as one of its open deploys, as a deploy of it alone would.
    if (parsed.success) for (const [, id] of listedServices(parsed.data)) trackInFlight(id, res);
    const answer = takeAnswer(environmentId);
    if (answer?.kind === 'hang') return;
    await delay(deployDelay);
    if (answer?.kind === 'error') return sendError(res, answer);
    if (!isUuid(environmentId)) return sendError(res, { status: 404, detail: `environment ${environmentId} not found` });
    if (!parsed.success)
      return sendError(res, { status: 400, detail: `DeployAllRequest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
    const listed = listedServices(parsed.data);
    if (listed.length === 0) return sendError(res, { status: 400, detail: 'DeployAllRequest lists no service to deploy' });
    const requestId = randomUUID();
    for (const [kind, id] of listed) {
      // Listed where it was released; its own environment, if the test placed it, stays as it was
      // (the fault tests release one job in two environments, which Qovery itself would not allow).
      if (!placement.has(id)) placement.set(id, environmentId);
      list(kind, id, environmentId);
      accept(id, kind, rec, releaseRequestIds === 'shared' ? requestId : randomUUID());
    }
    const environment = environments.get(environmentId);
    if (environment) Object.assign(environment, { requestId, at: new Date().toISOString() });
    const body = environmentStatus(environmentId, 'DEPLOYMENT_QUEUED');
    if (answer?.kind === 'accept-then-error') return sendError(res, { status: answer.status, ...(answer.body && { body: answer.body }) });
    if (answer?.kind === 'accept-then-reset') return void res.socket?.destroy();
    if (answer?.kind === 'accept-late') await delay(answer.answerAfterMs);
    if (!res.destroyed) sendJson(res, 202, body);
  };

  // EnvironmentStatuses: one list per kind; each read moves every member service one step on its walk.
  const handleEnvironmentStatuses = (environmentId: string, rec: RecordedRequest, res: ServerResponse): void => {
    if (!isUuid(environmentId)) return sendError(res, { status: 404, detail: `environment ${environmentId} not found` });
    const lists: Record<string, unknown[]> = { applications: [], containers: [], jobs: [], helms: [], databases: [], terraforms: [] };
    rec.servicesRead = [];
    for (const [id, kind] of environments.get(environmentId)?.members ?? []) {
      rec.servicesRead.push(id);
      const read = readService(id);
      if ('error' in read) return sendError(res, { status: read.error as number });
      lists[RELEASE_LIST[kind]]?.push(read);
    }
    const states = Object.values(lists).flat() as Array<{ state: string }>;
    const state = states.length > 0 && states.every((s) => s.state === 'DEPLOYED') ? 'DEPLOYED' : states.length > 0 ? 'DEPLOYING' : 'READY';
    sendJson(res, 200, { environment: environmentStatus(environmentId, state), ...lists });
  };

  /** The service as getApplication/getContainer/getJob/getHelm answer it: what the relay reads is its environment. */
  const handleLookup = (kind: ServiceKind, serviceId: string, res: ServerResponse): void => {
    const own = lookupScripts.get(serviceId);
    const answer = own && own.length > 0 ? own.shift() : lookupScripts.get('*')?.shift();
    if (answer?.kind === 'error') return sendError(res, answer);
    if (!isUuid(serviceId)) return sendError(res, { status: 404, detail: `${kind} ${serviceId} not found` });
    if (!placement.has(serviceId)) place(kind, serviceId, randomUUID());
    sendJson(res, 200, {
      id: serviceId,
      created_at: '2026-01-01T00:00:00Z',
      name: `${kind}-${serviceId.slice(0, 8)}`,
      service_type: kind.toUpperCase(),
      environment: { id: placement.get(serviceId) },
    });
  };

  // 202 with no body while the request is still queued; 409 once it began or was cancelled (cancelDeploymentRequest).
  const handleCancel = (requestId: string, res: ServerResponse): void => {
    const request = deploymentRequests.get(requestId);
    if (!request) return sendError(res, { status: 404, detail: `deployment request ${requestId} not found` });
    if (request.started || request.cancelled) {
      return sendError(res, { status: 409, detail: 'Deployment request is already cancelled or an operation is in progress' });
    }
    request.cancelled = true;
    res.writeHead(202).end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake-qovery.invalid');
    const service = SERVICE_PATH.exec(url.pathname);
    const kind = service?.[1] as ServiceKind | undefined;
    const deployJob = req.method === 'POST' && service?.[3] === 'deploy' ? service[2] : undefined;
    const statusJob = req.method === 'GET' && service?.[3] === 'status' ? service[2] : undefined;
    if (deployJob !== undefined) trackInFlight(deployJob, res);
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: parseBody(await readBody(req)),
      at: Date.now(),
    };
    requests.push(rec);
    if (!authorized(req.headers.authorization, token)) return sendError(res, { status: 401 });
    if (webhooks.handle(rec.method, url.pathname, rec.body, res)) return;
    if (kind && deployJob !== undefined) return handleDeploy(kind, deployJob, rec, res);
    if (kind && statusJob !== undefined) return handleStatus(kind, statusJob, res);
    const cancel = req.method === 'POST' ? CANCEL_PATH.exec(url.pathname)?.[1] : undefined;
    if (cancel !== undefined) return handleCancel(cancel, res);
    const environment = ENVIRONMENT_PATH.exec(url.pathname);
    if (environment?.[2] === 'service/deploy' && req.method === 'POST') return handleEnvironmentDeploy(environment[1] ?? '', rec, res);
    if (environment?.[2] === 'statuses' && req.method === 'GET') return handleEnvironmentStatuses(environment[1] ?? '', rec, res);
    const lookup = req.method === 'GET' ? LOOKUP_PATH.exec(url.pathname) : null;
    if (lookup) return handleLookup(lookup[1] as ServiceKind, lookup[2] ?? '', res);
    if (environment?.[2] === 'status' && req.method === 'GET') return sendJson(res, 200, environmentStatus(environment[1] ?? '', 'DEPLOYED'));
    sendError(res, { status: 404 });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      sendError(res, { status: 500, detail: err instanceof Error ? err.message : String(err) });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  // Service ids are UUIDs, unique across kinds, so calls are looked up by id whatever the kind.
  const deployCallsTo = (jobId?: string): RecordedRequest[] =>
    requests.filter((r) => {
      const call = SERVICE_PATH.exec(r.path);
      return r.method === 'POST' && call?.[3] === 'deploy' && (jobId === undefined || call[2] === jobId);
    });

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    deployCalls: (jobId) => deployCallsTo(jobId),
    statusCalls: (jobId) =>
      requests.filter((r) => {
        const call = SERVICE_PATH.exec(r.path);
        if (r.method === 'GET' && call?.[3] === 'status') return jobId === undefined || call[2] === jobId;
        return r.servicesRead !== undefined && (jobId === undefined ? r.servicesRead.length > 0 : r.servicesRead.includes(jobId));
      }),
    environmentStatusCalls: (environmentId) =>
      requests.filter((r) => {
        const call = ENVIRONMENT_PATH.exec(r.path);
        return r.method === 'GET' && call?.[2] === 'statuses' && (environmentId === undefined || call[1] === environmentId);
      }),
    lookupCalls: (serviceId) =>
      requests.filter((r) => {
        const call = LOOKUP_PATH.exec(r.path);
        return r.method === 'GET' && call !== null && (serviceId === undefined || call[2] === serviceId);
      }),
    placeService: (kind, serviceId, environmentId) => place(kind, serviceId, environmentId),
    webhooks,
    setTimedWalk: (stepMs) => {
      timedStepMs = stepMs;
    },
    scriptLookup: (serviceId, answers) => {
      lookupScripts.set(serviceId, [...answers]);
    },
    scriptDeploy: (jobId, answers) => {
      deployScripts.set(jobId, [...answers]);
    },
    scriptStatus: (jobId, steps) => {
      startWalk(steps); // refuse an empty script now rather than at the next deploy
      statusScripts.set(jobId, [...steps]);
    },
    deployments: (jobId) => [...(jobs.get(jobId)?.deployments ?? [])],
    maxConcurrentDeploys: (jobId) => jobs.get(jobId)?.maxInFlight ?? 0,
    cancelCalls: () => requests.filter((r) => r.method === 'POST' && CANCEL_PATH.test(r.path)),
    releaseCalls: (environmentId) =>
      requests.filter((r) => {
        const call = ENVIRONMENT_PATH.exec(r.path);
        return r.method === 'POST' && call?.[2] === 'service/deploy' && (environmentId === undefined || call[1] === environmentId);
      }),
    openDeploys: () => [...jobs.values()].reduce((open, state) => open + state.inFlight, 0),
    setDeployDelay: (ms) => {
      deployDelay = ms;
    },
    setReleaseRequestIds: (mode) => {
      releaseRequestIds = mode;
    },
    setToken: (next) => {
      token = next;
    },
    reset: () => {
      requests.length = 0; // same array, so a test holding `requests` keeps seeing the log
      jobs.clear();
      deploymentRequests.clear();
      environments.clear();
      placement.clear();
      lookupScripts.clear();
      webhooks.reset();
      for (const timer of walkTimers.values()) clearInterval(timer);
      walkTimers.clear();
      timedStepMs = undefined;
      deployScripts.clear();
      statusScripts.clear();
      token = options.token;
      deployDelay = 0;
      releaseRequestIds = 'shared';
    },
    close: async () => {
      for (const timer of walkTimers.values()) clearInterval(timer);
      for (const done of [...pendingDelays]) done();
      for (const socket of sockets) socket.destroy();
      await webhooks.settled();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
