/**
 * The deployment lifecycle. Every change of status goes through `history.transition`, which
 * checks it against ALLOWED, records it and publishes it.
 */
export const DEPLOYMENT_STATUSES = [
  'queued',
  'deploying',
  'retrying',
  'accepted',
  'in_progress',
  'succeeded',
  'failed',
  'superseded',
  'timed_out',
  'ignored',
] as const;

export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<DeploymentStatus> = new Set(['succeeded', 'failed', 'superseded', 'timed_out', 'ignored']);

/** Which statuses each status may be entered from; re-entering `deploying` is a crash recovery. */
export const ALLOWED_FROM: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = {
  queued: [],
  deploying: ['queued', 'retrying', 'deploying'],
  retrying: ['deploying'],
  // From retrying: a timed-out call that Qovery had received after all.
  accepted: ['deploying', 'retrying', 'accepted'],
  in_progress: ['accepted', 'in_progress'],
  succeeded: ['accepted', 'in_progress'],
  failed: ['queued', 'deploying', 'retrying', 'accepted', 'in_progress'],
  // From accepted/in_progress: a newer deployment reached Qovery before this one's end was seen.
  superseded: ['queued', 'retrying', 'deploying', 'accepted', 'in_progress'],
  timed_out: ['accepted', 'in_progress'],
  ignored: ['queued', 'retrying', 'deploying'],
};

export interface Transition {
  readonly at: string;
  readonly status: DeploymentStatus;
  readonly detail?: string;
  readonly attempt?: number;
  readonly httpStatus?: number;
  readonly qoveryState?: string;
  readonly status_details?: unknown;
}

/** A deployment without its transitions: all the worker needs to decide its next step. */
export interface DeploymentState {
  readonly id: string;
  readonly deliveryId: string;
  readonly route: string;
  readonly source: string;
  readonly jobId: string;
  readonly forceEvent?: string;
  readonly imageTag?: string;
  readonly gitCommitId?: string;
  readonly status: DeploymentStatus;
  readonly attempts: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The provider's time of the push, when it tells one; orders "newest" for a job. */
  readonly pushedAt?: string;
  /** Sort key among the job's deployments: push time (or arrival) in ms * 1000 + a tie-breaker. */
  readonly order: number;
  readonly allowDowngrade: boolean;
  readonly qoveryState?: string;
  readonly deploymentRequestId?: string;
  readonly supersededBy?: string;
  readonly reason?: string;
  /** When the last deploy call was about to be made: recovery compares Qovery's status with it. */
  readonly intentAt?: string;
  readonly acceptedAt?: string;
  /** Whether Qovery has shown a non-terminal state since accepting, so a terminal read is this deploy's end. */
  readonly leftTerminal?: boolean;
  /** The last attempt timed out, so Qovery may have it: the next attempt asks Qovery first. */
  readonly uncertain?: boolean;
}

export interface Deployment extends DeploymentState {
  readonly transitions: readonly Transition[];
}

export type DeliveryOutcome = 'accepted' | 'ignored' | 'duplicate';

export interface DeliveryRead {
  readonly repository?: string;
  readonly image?: string;
  readonly branch?: string;
  readonly tag?: string;
  readonly commit?: string;
  readonly pushedAt?: string;
}

export interface Delivery {
  readonly id: string;
  readonly source: string;
  readonly sourceType: string;
  readonly event: string;
  readonly outcome: DeliveryOutcome;
  readonly reason?: string;
  readonly receivedAt: string;
  readonly read: readonly DeliveryRead[];
  readonly deploymentIds: readonly string[];
  /** Set on a duplicate: the delivery it repeated. */
  readonly duplicateOf?: string;
  readonly skipped?: readonly string[];
}
