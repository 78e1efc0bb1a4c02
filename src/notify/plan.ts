import type { Rules } from '../config/rules.js';
import type { DeploymentEvent } from '../events/schema.js';
import type { DeploymentState, DeploymentStatus, NotificationKind } from '../history/model.js';
import type { CommitOutcome } from './commit-status.js';

export interface PlannedNotification {
  readonly kind: NotificationKind;
  readonly name: string;
}

/**
 * What the commit shows for a status change: pending once Qovery has the deploy, then how it
 * ended. A deployment that never reached Qovery and was dropped (ignored, superseded while queued)
 * never set a status, so it leaves none; one superseded while Qovery ran it is marked stopped.
 */
export function commitOutcomeOf(status: DeploymentStatus, previous: DeploymentStatus | undefined): CommitOutcome | undefined {
  switch (status) {
    // Re-entering accepted is a crash recovery: the commit already shows pending.
    case 'accepted':
      return previous === 'accepted' ? undefined : 'pending';
    case 'succeeded':
      return 'success';
    case 'failed':
    case 'timed_out':
      return 'failure';
    case 'superseded':
      return previous === 'accepted' || previous === 'in_progress' ? 'stopped' : undefined;
    default:
      return undefined;
  }
}

/** Who is told about one deployment event, by today's rules. */
export function notificationsFor(
  event: Pick<DeploymentEvent, 'status' | 'previous'>,
  deployment: Pick<DeploymentState, 'route' | 'source'>,
  rules: Pick<Rules, 'notifications' | 'sources'>,
): PlannedNotification[] {
  const planned: PlannedNotification[] = rules.notifications
    .filter((n) => n.on.includes(event.status) && (n.routes === undefined || n.routes.includes(deployment.route)))
    .map((n) => ({ kind: n.slack ? 'slack' : 'webhook', name: n.name }));
  const source = rules.sources.find((s) => s.name === deployment.source);
  if (source?.commitStatus && commitOutcomeOf(event.status, event.previous) !== undefined) planned.push({ kind: 'commit-status', name: source.name });
  return planned;
}
