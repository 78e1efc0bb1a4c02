import { z } from 'zod';
import { DEPLOYMENT_KINDS, type DeploymentTarget, type Target } from '../qovery/targets.js';

/**
 * The deployment lifecycle. Every change of status goes through `history.transition`, which
 * checks it against ALLOWED, records it and publishes it.
 */
/**
 * The state table: for each status, whether it ends a deployment and which statuses it may be
 * entered from. Re-entering `deploying` is a crash recovery. Every status list derives from it.
 */
const STATE_TABLE = {
  queued: { terminal: false, from: [] },
  deploying: { terminal: false, from: ['queued', 'retrying', 'deploying'] },
  retrying: { terminal: false, from: ['deploying'] },
  // From retrying: a call whose answer was lost, that Qovery had received after all.
  accepted: { terminal: false, followed: true, from: ['deploying', 'retrying', 'accepted'] },
  in_progress: { terminal: false, followed: true, from: ['accepted', 'in_progress'] },
  succeeded: { terminal: true, from: ['accepted', 'in_progress'] },
  failed: { terminal: true, from: ['queued', 'deploying', 'retrying', 'accepted', 'in_progress'] },
  // From accepted/in_progress: a newer deployment reached Qovery before this one's end was seen.
  superseded: { terminal: true, from: ['queued', 'retrying', 'deploying', 'accepted', 'in_progress'] },
  timed_out: { terminal: true, from: ['accepted', 'in_progress'] },
  ignored: { terminal: true, from: ['queued', 'retrying', 'deploying'] },
} as const satisfies Record<string, { terminal: boolean; followed?: true; from: readonly string[] }>;

export type DeploymentStatus = keyof typeof STATE_TABLE;

export const DEPLOYMENT_STATUSES = Object.keys(STATE_TABLE) as [DeploymentStatus, ...DeploymentStatus[]];

export const TERMINAL_STATUSES: ReadonlySet<DeploymentStatus> = new Set(DEPLOYMENT_STATUSES.filter((s) => STATE_TABLE[s].terminal));

/** Statuses a deployment can still leave: the reconciler looks for lost jobs among these. */
export const OPEN_STATUSES: readonly DeploymentStatus[] = DEPLOYMENT_STATUSES.filter((s) => !STATE_TABLE[s].terminal);

/** Statuses of a deployment Qovery has taken: it is followed through the follow set, not a queue job. */
export const FOLLOWED_STATUSES: ReadonlySet<DeploymentStatus> = new Set(DEPLOYMENT_STATUSES.filter((s) => 'followed' in STATE_TABLE[s]));

/** Which statuses `status` may be entered from. */
export function allowedFrom(status: DeploymentStatus): readonly DeploymentStatus[] {
  return STATE_TABLE[status].from;
}

export interface Transition {
  readonly at: string;
  readonly status: DeploymentStatus;
  readonly detail?: string;
  readonly attempt?: number;
  readonly httpStatus?: number;
  readonly qoveryState?: string;
  readonly status_details?: unknown;
}

/**
 * A deployment without its transitions: all the worker needs to decide its next step. The one
 * list of deployment fields: the type, the Redis codec and what intake writes derive from it.
 */
export const deploymentStateSchema = z.object({
  id: z.string(),
  deliveryId: z.string(),
  route: z.string(),
  source: z.string(),
  /** The Qovery service deployed; `jobId` repeats the id for jobs, as before other kinds existed. */
  targetKind: z.enum(DEPLOYMENT_KINDS),
  targetId: z.string(),
  jobId: z.string().optional(),
  /** A release's services as JSON `[{kind, id, state?}]`, each with the last state Qovery reported for it. */
  services: z.string().optional(),
  /** The services' names for newest-wins, their locks and their last deploys (`laneOf`), comma-separated. */
  lanes: z.string(),
  forceEvent: z.string().optional(),
  imageTag: z.string().optional(),
  /** The pushed image's digest, when a registry told it: the same digest deployed again is unchanged. */
  imageDigest: z.string().optional(),
  gitCommitId: z.string().optional(),
  status: z.enum(DEPLOYMENT_STATUSES),
  attempts: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The provider's time of the push, when it tells one; orders "newest" for a job. */
  pushedAt: z.string().optional(),
  /** Sort key among the job's deployments: push time (or arrival) in ms * 1000 + a tie-breaker. */
  order: z.number(),
  allowDowngrade: z.boolean(),
  /** The route asks for this deployment to be cancelled at Qovery when superseded while still queued there. */
  cancelSuperseded: z.boolean().optional(),
  qoveryState: z.string().optional(),
  deploymentRequestId: z.string().optional(),
  supersededBy: z.string().optional(),
  reason: z.string().optional(),
  /** When the last deploy call was about to be made: recovery compares Qovery's status with it. */
  intentAt: z.string().optional(),
  acceptedAt: z.string().optional(),
  /** Whether Qovery has shown a non-terminal state since accepting, so a terminal read is this deploy's end. */
  leftTerminal: z.boolean().optional(),
  /** The last attempt's outcome is unknown, so Qovery may have it: the next attempt asks Qovery first. */
  uncertain: z.boolean().optional(),
  /** DEPLOY_MODE was dry-run: nothing was sent to Qovery, the dry-run client answered instead. */
  dryRun: z.boolean().optional(),
  /** Set on a re-drive (`POST /deployments/:id/redeploy`): the failed or timed-out deployment it repeats. */
  redeployOf: z.string().optional(),
});

export type DeploymentState = z.infer<typeof deploymentStateSchema>;

/** A released service as recorded: its target and the last state Qovery reported for it. */
export interface ReleasedService extends Target {
  readonly state?: string;
}

export const releasedServicesOf = (d: Pick<DeploymentState, 'services'>): ReleasedService[] =>
  d.services === undefined ? [] : (JSON.parse(d.services) as ReleasedService[]);

export function targetOf(d: Pick<DeploymentState, 'targetKind' | 'targetId' | 'services'>): DeploymentTarget {
  if (d.targetKind === 'environment') return { kind: 'environment', id: d.targetId, services: releasedServicesOf(d) };
  return { kind: d.targetKind, id: d.targetId };
}

export const lanesOfState = (d: Pick<DeploymentState, 'lanes'>): string[] => d.lanes.split(',');

export interface Deployment extends DeploymentState {
  readonly target: DeploymentTarget;
  readonly transitions: readonly Transition[];
}

/** Who is told about a deployment: a rules-file notification (Slack, webhook) or the commit's git host. */
export const NOTIFICATION_KINDS = ['slack', 'webhook', 'commit-status'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Each attempt's result: `retrying` is followed by another attempt, the others end that notification. */
export const NOTIFICATION_RESULTS = ['sent', 'retrying', 'failed', 'skipped'] as const;

/** One attempt at one notification, kept with the deployment (`GET /deployments/{id}` shows them). */
export const notificationOutcomeSchema = z.object({
  at: z.string(),
  kind: z.enum(NOTIFICATION_KINDS),
  /** The notification's name, or for a commit status the source whose host it was set on. */
  name: z.string(),
  /** The deployment status it was about. */
  status: z.enum(DEPLOYMENT_STATUSES),
  result: z.enum(NOTIFICATION_RESULTS),
  attempt: z.number().int(),
  httpStatus: z.number().int().optional(),
  detail: z.string().optional(),
});

export type NotificationOutcome = z.infer<typeof notificationOutcomeSchema>;

export const DELIVERY_OUTCOMES = ['accepted', 'ignored', 'duplicate'] as const;

export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** What was read from one event of a delivery: all a replay needs to route it again. */
export interface DeliveryRead {
  readonly repository?: string;
  readonly image?: string;
  readonly branch?: string;
  readonly tag?: string;
  readonly commit?: string;
  readonly digest?: string;
  readonly pushedAt?: string;
  readonly paths?: readonly string[];
  /** The event's own name, when it is not the delivery's. */
  readonly event?: string;
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
  /** Set on a replay (`POST /deliveries/:id/replay`): the delivery routed again. */
  readonly replayOf?: string;
  /** Set on a re-drive's delivery (`POST /deployments/:id/redeploy`): the deployment repeated. */
  readonly redeployOf?: string;
  readonly skipped?: readonly string[];
}
