import type { DeploymentTarget } from '../qovery/targets.js';

/** Every way a webhook request can end, as a value; the HTTP edge maps each to a status code. */
export interface DeploymentSummary {
  readonly id: string;
  readonly route: string;
  readonly target: DeploymentTarget;
  /** For a job, its id, as before other kinds of targets existed. */
  readonly jobId?: string;
  readonly imageTag?: string;
  readonly gitCommitId?: string;
}

export type IntakeOutcome =
  | { readonly kind: 'accepted'; readonly deliveryId: string; readonly deployments: readonly DeploymentSummary[]; readonly skipped?: readonly string[] }
  | { readonly kind: 'ignored'; readonly deliveryId: string; readonly reason: string }
  | { readonly kind: 'duplicate'; readonly deliveryId: string; readonly deployments: readonly DeploymentSummary[] }
  | { readonly kind: 'ping'; readonly deliveryId: string }
  /** A Qovery deployment event: `moved` deployments were judged from it, `rechecked` environments are read again at once. */
  | { readonly kind: 'status'; readonly deliveryId: string; readonly moved: readonly string[]; readonly rechecked: readonly string[] }
  | { readonly kind: 'unknown_source'; readonly source: string }
  | { readonly kind: 'unauthorized'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly code: 'RELAY_BODY_NOT_JSON' | 'RELAY_INVALID_ENCODING' | 'RELAY_PAYLOAD_INVALID'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** The HTTP status each outcome is answered with: the webhooks and `POST /rules/test` both read it here. */
export const HTTP_STATUS_BY_OUTCOME = {
  accepted: 202,
  ignored: 202,
  duplicate: 200,
  ping: 200,
  status: 200,
  unknown_source: 404,
  unauthorized: 401,
  invalid: 400,
  unavailable: 503,
} as const satisfies Record<IntakeOutcome['kind'], number>;
