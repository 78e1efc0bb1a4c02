import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/scripts.js';
import type { Logger } from 'pino';
import type { History, NewDeployment } from '../history/history.js';
import type { Delivery, Deployment } from '../history/model.js';
import type { IntakeMetrics } from '../metrics/registry.js';
import { batchWritesThisTurn, logErrorsOnce } from '../redis/connection.js';
import type { ActiveRules } from '../routing/active-rules.js';
import { evaluateWebhook, type IncomingWebhook } from './evaluate.js';
import type { StatusEvents } from './status-events.js';
import type { DeploymentSummary, IntakeOutcome } from './outcome.js';

export function summarize(d: Pick<Deployment, 'id' | 'route' | 'target' | 'imageTag' | 'gitCommitId'>): DeploymentSummary {
  return {
    id: d.id,
    route: d.route,
    target: d.target,
    ...(d.target.kind === 'job' && { jobId: d.target.id }),
    ...(d.imageTag !== undefined && { imageTag: d.imageTag }),
    ...(d.gitCommitId !== undefined && { gitCommitId: d.gitCommitId }),
  };
}

interface Planned {
  readonly delivery: Delivery;
  readonly deployments: readonly NewDeployment[];
  readonly signature?: string;
}

export function createIntake(deps: {
  history: History;
  redis: RedisClient;
  rules: ActiveRules;
  logger: Logger;
  metrics: IntakeMetrics;
  statusEvents: StatusEvents;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const storeFailed = logErrorsOnce(deps.logger, 'could not store or enqueue a delivery', deps.redis);

  /**
   * One script stores the delivery, its deployments and their deploy jobs, on a connection whose
   * writes of this turn leave together: the answer is 2xx only once all of it is stored.
   */
  async function store({ delivery, deployments, signature }: Planned): Promise<IntakeOutcome> {
    batchWritesThisTurn(deps.redis);
    const started = performance.now();
    const stored = await deps.history.recordDelivery(delivery, deployments, { via: deps.redis, ...(signature !== undefined && { signature }) });
    deps.metrics.enqueued((performance.now() - started) / 1000);
    if (!stored.created) return answerDuplicate(stored.existing, delivery);
    if (delivery.outcome === 'ignored') return { kind: 'ignored', deliveryId: delivery.id, reason: delivery.reason ?? 'ignored' };
    return { kind: 'accepted', deliveryId: delivery.id, deployments: deployments.map(summarize), ...(delivery.skipped && { skipped: delivery.skipped }) };
  }

  /** A repeat is recorded and answered with the original's deployments; it writes no job of its own. */
  async function answerDuplicate(existing: Delivery, repeat: Delivery): Promise<IntakeOutcome> {
    const found = await deps.history.getDeployments(existing.deploymentIds);
    const deployments = found.filter((d): d is Deployment => d !== undefined);
    await deps.history.recordDuplicate({ ...repeat, id: randomUUID(), outcome: 'duplicate', duplicateOf: existing.id, deploymentIds: existing.deploymentIds });
    return { kind: 'duplicate', deliveryId: existing.id, deployments: deployments.map(summarize) };
  }

  /**
   * The request is answered 503, so the sender will deliver again: what may have been stored is
   * undone (while no worker has begun it), so that the retry is stored as new rather than
   * answered as a duplicate. When Redis is gone this fails too, and the retry is answered as a
   * duplicate of a delivery whose deployments are stored with their jobs.
   */
  async function undo({ delivery, deployments, signature }: Planned): Promise<void> {
    try {
      await deps.history.forgetDelivery(delivery, deployments, signature);
    } catch {
      // Redis is unavailable: the stored delivery is whole, so the retry's duplicate answer is true.
    }
  }

  return {
    async receive(webhook: IncomingWebhook): Promise<IntakeOutcome> {
      const evaluation = evaluateWebhook(deps.rules.current(), webhook, now(), { requireAuth: true });
      if (evaluation.kind === 'rejected') return evaluation.outcome;
      const planned: Planned = {
        delivery: evaluation.delivery,
        deployments: evaluation.deployments,
        ...(evaluation.auth.ok && evaluation.auth.signature !== undefined && { signature: evaluation.auth.signature }),
      };
      try {
        const outcome = await store(planned);
        if (evaluation.status && outcome.kind === 'ignored') {
          // Applied once the event is stored, so a repeat of it is answered as a duplicate and not applied again.
          const applied = await deps.statusEvents.apply(planned.delivery.event, evaluation.status);
          return { kind: 'status', deliveryId: planned.delivery.id, ...applied };
        }
        return evaluation.ping && outcome.kind === 'ignored' ? { kind: 'ping', deliveryId: planned.delivery.id } : outcome;
      } catch (error) {
        // The webhook's own log line names the delivery and its 503; the cause is logged once per change.
        storeFailed(error);
        await undo(planned);
        return { kind: 'unavailable', reason: 'Redis cannot take the work right now; retry later' };
      }
    },
  };
}

export type Intake = ReturnType<typeof createIntake>;
