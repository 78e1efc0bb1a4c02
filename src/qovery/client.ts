import { z } from 'zod';
import type { QoveryEndpoint, QoveryMetrics } from '../metrics/registry.js';
import { describeErrorBody, parseRetryAfter } from './errors.js';
import {
  deployRequestOf,
  releaseRequestOf,
  environmentStatusesPathOf,
  releaseStatusPathOf,
  servicePathOf,
  statusesListOf,
  statusPathOf,
  TARGET_KIND_NAMES,
  type DeployCall,
  type Release,
  type ReleaseCall,
  type Target,
} from './targets.js';
import { createHttpTransport, HttpExchangeError, HttpTimeoutError, jsonOf, type HttpAnswer } from './http.js';

/** The parts of Qovery's `Status` body the relay reads; the rest is kept but not relied on. */
const qoveryStatusSchema = z
  .object({
    id: z.string(),
    state: z.string(),
    service_deployment_status: z.string().optional(),
    last_deployment_date: z.string().nullish(),
    deployment_request_id: z.string().nullish(),
    deployment_requests_count: z.number().nullish(),
    status_details: z.unknown().optional(),
  })
  .passthrough();

export type QoveryStatus = z.infer<typeof qoveryStatusSchema>;

/** EnvironmentStatuses: one list of Status per kind of service; the relay reads the lists it deploys. */
const environmentStatusesSchema = z
  .object(Object.fromEntries(TARGET_KIND_NAMES.map((kind) => [statusesListOf(kind), z.array(qoveryStatusSchema).default([])])))
  .passthrough();

/** Application, ContainerResponse, JobResponse and HelmResponse all require `environment: ReferenceObject`. */
const serviceSchema = z.object({ id: z.string(), environment: z.object({ id: z.string().min(1) }) }).passthrough();

/** What each endpoint's 2xx body is read as: a Status, an EnvironmentStatuses, a service, or nothing. */
type AnswerShape = 'status' | 'statuses' | 'service' | 'none';

/**
 * What a failed call tells about Qovery having acted on it:
 * - `not_sent`: the request never left whole (refused connection, unknown host), so Qovery has nothing;
 * - `refused`: Qovery (or a proxy) answered with a status that means it did not act (4xx, 3xx);
 * - `unknown`: it may have acted and only its answer is missing or replaced (any 5xx, which a proxy
 *   can send after forwarding; a reset or timeout after the request was sent).
 * A call whose outcome is unknown must not be repeated before asking Qovery whether it landed.
 */
export type QoveryCallOutcome = 'not_sent' | 'refused' | 'unknown';

export type QoveryResult =
  | {
      readonly ok: true;
      readonly httpStatus: number;
      readonly status?: QoveryStatus;
      /** For `GET /environment/{id}/statuses`: every service's Status, from the lists of the kinds the relay deploys. */
      readonly services?: readonly QoveryStatus[];
      /** For `GET /<kind>/{id}`: the environment the service belongs to. */
      readonly environmentId?: string;
      /** What happened, when the caller should record more than the HTTP status (a dry run says what it would have sent). */
      readonly detail?: string;
      /** Nothing was sent: the dry-run client answered. */
      readonly dryRun?: true;
    }
  | {
      readonly ok: false;
      readonly kind: 'http' | 'network' | 'timeout';
      readonly outcome: QoveryCallOutcome;
      readonly retryable: boolean;
      readonly detail: string;
      readonly httpStatus?: number;
      readonly retryAfterMs?: number;
    };

/** A JWT (three base64url parts) is a bearer token; anything else is a Qovery API token. */
export function authorizationHeader(token: string): string {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token) ? `Bearer ${token}` : `Token ${token}`;
}

/** 409 is Qovery's "operation in progress": it clears by itself, so it is retried like a 5xx. */
function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 409 || status === 408;
}

/** Only a 5xx can come after Qovery acted (a gateway that forwarded, then failed); every other answer is a refusal. */
function outcomeOfStatus(status: number): QoveryCallOutcome {
  return status >= 500 ? 'unknown' : 'refused';
}

function exchangeFailure(error: unknown, timeoutMs: number): QoveryResult {
  const outcome: QoveryCallOutcome = error instanceof HttpExchangeError && !error.requestSent ? 'not_sent' : 'unknown';
  if (error instanceof HttpTimeoutError)
    return { ok: false, kind: 'timeout', outcome, retryable: true, detail: `no answer from Qovery within ${timeoutMs} ms` };
  const message = error instanceof Error ? error.message : String(error);
  const when = outcome === 'unknown' ? ' after the request was sent' : '';
  return { ok: false, kind: 'network', outcome, retryable: true, detail: `cannot reach Qovery${when}: ${message}` };
}

export function createQoveryClient(deps: { baseUrl: string; token: string; timeoutMs: number; now?: () => number; metrics?: QoveryMetrics }) {
  const transport = createHttpTransport(deps.baseUrl);
  const authorization = authorizationHeader(deps.token);
  const now = deps.now ?? Date.now;

  async function call(endpoint: QoveryEndpoint, shape: AnswerShape, method: 'GET' | 'POST', path: string, body?: unknown): Promise<QoveryResult> {
    const result = await send(shape, method, path, body);
    deps.metrics?.qoveryCalled(endpoint, result.ok || result.kind === 'http' ? String(result.httpStatus) : result.kind);
    return result;
  }

  async function send(shape: AnswerShape, method: 'GET' | 'POST', path: string, body?: unknown): Promise<QoveryResult> {
    const headers = { authorization, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) };
    let response: HttpAnswer;
    try {
      response = await transport.send(method, path, headers, body === undefined ? undefined : JSON.stringify(body), deps.timeoutMs);
    } catch (error) {
      return exchangeFailure(error, deps.timeoutMs);
    }
    const { status, text } = response;
    if (status >= 200 && status < 300) return { ok: true, httpStatus: status, ...readAnswer(shape, text) };
    const retryAfterMs = parseRetryAfter(response.retryAfter ?? null, now());
    return {
      ok: false,
      kind: 'http',
      outcome: outcomeOfStatus(status),
      retryable: isRetryableStatus(status),
      httpStatus: status,
      detail: describeErrorBody(status, response.contentType ?? null, text),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  }

  return {
    /** `POST /<kind>/{id}/deploy` with the version in the body the kind takes. */
    deploy(request: DeployCall): Promise<QoveryResult> {
      const { path, body } = deployRequestOf(request);
      return call('deploy', 'status', 'POST', path, body);
    },
    getStatus(target: Target): Promise<QoveryResult> {
      return call('status', 'status', 'GET', statusPathOf(target));
    },
    /** `GET /<kind>/{id}`: the service itself, read for the environment it belongs to. */
    getServiceEnvironment(target: Target): Promise<QoveryResult> {
      return call('lookup', 'service', 'GET', servicePathOf(target));
    },
    /** `POST /environment/{id}/service/deploy`: every service of the release at the version, in one call. */
    deployRelease(request: ReleaseCall): Promise<QoveryResult> {
      const { path, body } = releaseRequestOf(request);
      return call('deploy', 'status', 'POST', path, body);
    },
    /** The environment's EnvironmentStatus, which names its last deployment request. */
    getReleaseStatus(release: Release): Promise<QoveryResult> {
      return call('status', 'status', 'GET', releaseStatusPathOf(release));
    },
    /** Every service's Status in one environment: how all deployments there are followed, one call per environment. */
    getEnvironmentStatuses(environmentId: string): Promise<QoveryResult> {
      return call('status', 'statuses', 'GET', environmentStatusesPathOf(environmentId));
    },
    /** Cancels a deployment request Qovery has queued; 409 once it started or was cancelled already. */
    cancelDeploymentRequest(requestId: string): Promise<QoveryResult> {
      return call('cancel', 'none', 'POST', `/deploymentQueue/${encodeURIComponent(requestId)}/cancelDeployment`, {});
    },
  };
}

/** The fields a 2xx answer adds to the result; a body that is not the expected shape adds none. */
function readAnswer(shape: AnswerShape, text: string): Pick<QoveryResult & { ok: true }, 'status' | 'services' | 'environmentId'> {
  const json = text && shape !== 'none' ? jsonOf(text) : undefined;
  if (json === undefined) return {};
  if (shape === 'status') {
    const parsed = qoveryStatusSchema.safeParse(json);
    return parsed.success ? { status: parsed.data } : {};
  }
  if (shape === 'service') {
    const parsed = serviceSchema.safeParse(json);
    return parsed.success ? { environmentId: parsed.data.environment.id } : {};
  }
  const lists = environmentStatusesSchema.safeParse(json);
  return lists.success ? { services: TARGET_KIND_NAMES.flatMap((kind) => lists.data[statusesListOf(kind)] as QoveryStatus[]) } : {};
}

export type QoveryClient = ReturnType<typeof createQoveryClient>;
