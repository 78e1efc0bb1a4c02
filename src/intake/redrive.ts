import { createHash, randomUUID } from 'node:crypto';
import { pushOrder, type History, type NewDeployment } from '../history/history.js';
import { targetOf, type Delivery, type DeliveryRead, type Deployment, type DeploymentStatus } from '../history/model.js';
import type { ActiveRules } from '../routing/active-rules.js';
import type { NormalizedEvent } from '../sources/types.js';
import { planEvents } from './evaluate.js';
import { summarize } from './receive.js';
import type { DeploymentSummary } from './outcome.js';

/** Statuses a deployment can be re-driven from: it ended without Qovery deploying it. */
export const REDEPLOYABLE: ReadonlySet<DeploymentStatus> = new Set(['failed', 'timed_out']);

/** Why an action was refused, as a value: the HTTP edge answers 404 or 409 with the message. */
export type RedriveRefusal = { readonly refused: 'not_found' | 'conflict'; readonly message: string };

export type ReplayResult =
  | RedriveRefusal
  | {
      readonly refused?: undefined;
      readonly deliveryId: string;
      readonly replayOf: string;
      readonly deployments: readonly DeploymentSummary[];
      readonly ignored?: string;
      readonly skipped?: readonly string[];
    };

export type RedeployResult =
  | RedriveRefusal
  | { readonly refused?: undefined; readonly deliveryId: string; readonly redeployOf: string; readonly deployments: readonly [DeploymentSummary] };

const eventsOf = (delivery: Delivery): NormalizedEvent[] => delivery.read.map((read: DeliveryRead) => ({ ...read, event: read.event ?? delivery.event }));

/**
 * The two ways an operator recovers without a new push. Both store a new delivery through the same
 * script as a webhook (so the deployment, its job and its history land together), and both keep
 * the push's place among the service's deployments: a replay or re-drive of an old push never
 * overtakes a newer one, and the usual newest-wins and never-downgrade checks decide whether it
 * deploys; when they refuse, its history says why.
 */
export function createRedrive(deps: { history: History; rules: ActiveRules; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());

  return {
    /** Routes a stored delivery again by today's rules: how a user recovers after fixing a rule. */
    async replay(id: string, source: string | undefined): Promise<ReplayResult> {
      const found = await deps.history.getDelivery(id, source);
      if (!found) return { refused: 'not_found', message: `no delivery with id "${id}"` };
      // A duplicate stands for the delivery it repeated.
      const original = found.duplicateOf !== undefined ? await deps.history.getDelivery(found.duplicateOf, found.source) : found;
      if (!original) return { refused: 'not_found', message: `delivery "${id}" repeated "${found.duplicateOf}", which is no longer kept` };
      if (original.redeployOf !== undefined) {
        return {
          refused: 'conflict',
          message: `delivery "${original.id}" is the re-drive of deployment ${original.redeployOf}, not a webhook: re-drive that deployment instead`,
        };
      }
      const events = eventsOf(original);
      if (events.length === 0) {
        return {
          refused: 'conflict',
          message: `delivery "${original.id}" carried nothing to route (${original.reason ?? original.event}), so a replay cannot deploy`,
        };
      }
      const compiled = deps.rules.current();
      const configured = compiled.sources.get(original.source);
      if (!configured) return { refused: 'conflict', message: `source "${original.source}" is no longer in the rules` };
      const receivedAt = now().toISOString();
      const deliveryId = `replay-${randomUUID()}`;
      const base: Delivery = {
        id: deliveryId,
        source: original.source,
        sourceType: original.sourceType,
        event: original.event,
        outcome: 'accepted',
        receivedAt,
        read: original.read,
        deploymentIds: [],
        replayOf: original.id,
      };
      const planned = planEvents(compiled, original.source, { kind: 'events', deliveryId, event: original.event, events }, base);
      if ('invalid' in planned) return { refused: 'conflict', message: planned.invalid };
      // Pushes without a time of their own keep their original arrival as their place.
      const arrivalMs = Date.parse(original.receivedAt);
      const deployments = planned.deployments.map((d) => ({ ...d, order: pushOrder(d.pushedAt ?? original.receivedAt, arrivalMs) }));
      const stored = await deps.history.recordDelivery(planned.delivery, deployments);
      if (!stored.created) throw new Error(`replay delivery id ${deliveryId} was already stored`);
      const { delivery } = planned;
      return {
        deliveryId,
        replayOf: original.id,
        deployments: deployments.map(summarize),
        ...(delivery.outcome === 'ignored' && { ignored: delivery.reason ?? 'ignored' }),
        ...(delivery.skipped && { skipped: delivery.skipped }),
      };
    },

    /** A new deployment of what a failed or timed-out one would have deployed, with `redeployOf` set to it. */
    async redeploy(id: string): Promise<RedeployResult> {
      const old = await deps.history.getDeployment(id);
      if (!old) return { refused: 'not_found', message: `no deployment with id "${id}"` };
      if (!REDEPLOYABLE.has(old.status)) {
        return { refused: 'conflict', message: `deployment "${id}" is ${old.status}; only a failed or timed-out deployment can be re-driven` };
      }
      const original = await deps.history.getDelivery(old.deliveryId, old.source);
      const receivedAt = now().toISOString();
      const deliveryId = `redeploy-${randomUUID()}`;
      const deployment = redeploymentOf(old, deliveryId);
      const delivery: Delivery = {
        id: deliveryId,
        source: old.source,
        sourceType: original?.sourceType ?? 'relay',
        event: 'redeploy',
        outcome: 'accepted',
        receivedAt,
        read: [readOf(old)],
        deploymentIds: [deployment.id],
        redeployOf: old.id,
      };
      const stored = await deps.history.recordDelivery(delivery, [deployment]);
      if (!stored.created) throw new Error(`re-drive delivery id ${deliveryId} was already stored`);
      return { deliveryId, redeployOf: old.id, deployments: [summarize(deployment)] };
    },
  };
}

function redeploymentOf(old: Deployment, deliveryId: string): NewDeployment {
  const id = `dep_${createHash('sha256').update(`redeploy\n${deliveryId}\n${old.id}`).digest('hex').slice(0, 24)}`;
  return {
    id,
    route: old.route,
    target: targetOf(old),
    allowDowngrade: old.allowDowngrade,
    redeployOf: old.id,
    order: old.order,
    ...(old.forceEvent !== undefined && { forceEvent: old.forceEvent }),
    ...(old.imageTag !== undefined && { imageTag: old.imageTag }),
    ...(old.imageDigest !== undefined && { imageDigest: old.imageDigest }),
    ...(old.gitCommitId !== undefined && { gitCommitId: old.gitCommitId }),
    ...(old.pushedAt !== undefined && { pushedAt: old.pushedAt }),
    ...(old.cancelSuperseded !== undefined && { cancelSuperseded: old.cancelSuperseded }),
  };
}

function readOf(d: Deployment): DeliveryRead {
  return {
    ...(d.imageTag !== undefined && { tag: d.imageTag }),
    ...(d.gitCommitId !== undefined && { commit: d.gitCommitId }),
    ...(d.imageDigest !== undefined && { digest: d.imageDigest }),
    ...(d.pushedAt !== undefined && { pushedAt: d.pushedAt }),
  };
}

export type Redrive = ReturnType<typeof createRedrive>;
