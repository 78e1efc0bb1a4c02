/**
 * Maps Qovery's `state` to where the relay's deployment stands. Qovery adds states over time, so
 * anything unknown is reported as such and followed, never treated as an end.
 */
/** Qovery's clock and ours differ a little: dates this close to one of ours count as the same time. */
export const CLOCK_SKEW_MS = 5_000;

export type StateClass =
  { readonly kind: 'succeeded' } | { readonly kind: 'failed'; readonly reason: string } | { readonly kind: 'in_progress' } | { readonly kind: 'unknown' };

const SUCCESS_BY_EVENT: Readonly<Record<string, readonly string[]>> = {
  DEPLOY: ['DEPLOYED', 'RESTARTED'],
  START: ['DEPLOYED', 'RESTARTED'],
  CRON: ['DEPLOYED', 'RESTARTED'],
  STOP: ['STOPPED', 'CANCELED'],
  DELETE: ['DELETED', 'CANCELED'],
};

/** States that end a deployment whatever was asked, when they are not the success asked for. */
const OTHER_ENDS = new Set(['DEPLOYED', 'RESTARTED', 'STOPPED', 'DELETED', 'CANCELED']);

export function classifyState(state: string, forceEvent: string | undefined): StateClass {
  const upper = state.toUpperCase();
  if ((SUCCESS_BY_EVENT[forceEvent ?? 'DEPLOY'] ?? []).includes(upper)) return { kind: 'succeeded' };
  if (upper.endsWith('_ERROR')) return { kind: 'failed', reason: `Qovery reported ${upper}` };
  if (upper === 'CANCELED') return { kind: 'failed', reason: 'Qovery reported CANCELED: the deployment was cancelled' };
  if (upper.endsWith('ING') || upper.endsWith('QUEUED') || upper.startsWith('WAITING_')) return { kind: 'in_progress' };
  if (OTHER_ENDS.has(upper)) return { kind: 'failed', reason: `Qovery reported ${upper}, which is not the end asked for (${forceEvent ?? 'deploy'})` };
  return { kind: 'unknown' };
}

/** The state that is the success a deployment with this force event asks for (DEPLOYED, STOPPED, DELETED). */
export function successStateFor(forceEvent: string | undefined): string {
  return SUCCESS_BY_EVENT[forceEvent ?? 'DEPLOY']?.[0] ?? 'DEPLOYED';
}

export function isTerminalState(state: string): boolean {
  const upper = state.toUpperCase();
  return OTHER_ENDS.has(upper) || upper.endsWith('_ERROR');
}

/** Qovery has the deployment request but has not begun it: it can still be cancelled. */
export function isQueuedState(state: string): boolean {
  return state === 'DEPLOYMENT_QUEUED' || state === 'QUEUED';
}
