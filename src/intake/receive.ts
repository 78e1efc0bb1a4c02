import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { History, NewDeployment } from '../history/history.js';
import type { Delivery, Deployment } from '../history/model.js';
import type { IntakeMetrics } from '../metrics/registry.js';
import { batchWritesThisTurn, logErrorsOnce } from '../redis/connection.js';
import type { DeployProducer } from '../queue/producer.js';
import type { ActiveRules } from '../routing/active-rules.js';
import { evaluateWebhook, type IncomingWebhook } from './evaluate.js';
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
  producer: DeployProducer;
  redis: Redis;
  rules: ActiveRules;
  logger: Logger;
  metrics: IntakeMetrics;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const storeFailed = logErrorsOnce(deps.logger, 'could not store or enqueue a delivery', deps.redis);

  /**
   * The history and the jobs go out together on the producer's connection, in one write, without
   * waiting for the history's answer: Redis runs a connection's commands in order, so a job never
   * exists before its deployment does, and the answer is 2xx only once both are stored.
   */
  async function storeAndEnqueue({ delivery, deployments, signature }: Planned): Promise<IntakeOutcome> {
    batchWritesThisTurn(deps.redis);
    const ids = deployments.map((d) => d.id);
    const started = performance.now();
    const [stored] = await Promise.all([
      deps.history.recordDelivery(delivery, deployments, { via: deps.redis, ...(signature !== undefined && { signature }) }),
      deps.producer.enqueue(ids),
    ]);
    deps.metrics.enqueued((performance.now() - started) / 1000);
    if (!stored.created) return answerDuplicate(stored.existing, delivery, ids);
    if (delivery.outcome === 'ignored') return { kind: 'ignored', deliveryId: delivery.id, reason: delivery.reason ?? 'ignored' };
    return { kind: 'accepted', deliveryId: delivery.id, deployments: deployments.map(summarize), ...(delivery.skipped && { skipped: delivery.skipped }) };
  }

  /**
   * A repeat is recorded, and the original's still-queued deployments are re-driven in case its
   * enqueue failed. The jobs just added for this request's own plan are withdrawn where the
   * original has no such deployment (the rules changed in between): they would find nothing.
   */
  async function answerDuplicate(existing: Delivery, repeat: Delivery, enqueued: readonly string[]): Promise<IntakeOutcome> {
    const known = new Set(existing.deploymentIds);
    const strays = enqueued.filter((id) => !known.has(id));
    const [found] = await Promise.all([deps.history.getDeployments(existing.deploymentIds), deps.producer.withdraw(strays)]);
    const deployments = found.filter((d): d is Deployment => d !== undefined);
    await deps.producer.enqueue(deployments.filter((d) => d.status === 'queued').map((d) => d.id));
    await deps.history.recordDuplicate({ ...repeat, id: randomUUID(), outcome: 'duplicate', duplicateOf: existing.id, deploymentIds: existing.deploymentIds });
    return { kind: 'duplicate', deliveryId: existing.id, deployments: deployments.map(summarize) };
  }

  /**
   * The request is answered 503, so the sender will deliver again: what may have been stored is
   * undone (while no worker has begun it), so that the retry is stored as new rather than
   * answered as a duplicate. When Redis is gone this fails too, and the retry finds the delivery
   * and re-drives its queued deployments instead.
   */
  async function undo({ delivery, deployments, signature }: Planned): Promise<void> {
    try {
      await deps.producer.withdraw(deployments.map((d) => d.id));
      await deps.history.forgetDelivery(delivery, deployments, signature);
    } catch {
      // Redis is unavailable: the duplicate path covers the retry.
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
        const outcome = await storeAndEnqueue(planned);
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
