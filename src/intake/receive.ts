import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { History, NewDeployment } from '../history/history.js';
import type { Delivery, Deployment } from '../history/model.js';
import { batchWritesThisTurn } from '../redis/connection.js';
import type { DeployProducer } from '../queue/producer.js';
import type { ActiveRules } from '../routing/active-rules.js';
import { evaluateWebhook, type IncomingWebhook } from './evaluate.js';
import type { DeploymentSummary, IntakeOutcome } from './outcome.js';

export function summarize(d: Pick<Deployment, 'id' | 'route' | 'jobId' | 'imageTag' | 'gitCommitId'>): DeploymentSummary {
  return {
    id: d.id,
    route: d.route,
    jobId: d.jobId,
    ...(d.imageTag !== undefined && { imageTag: d.imageTag }),
    ...(d.gitCommitId !== undefined && { gitCommitId: d.gitCommitId }),
  };
}

export function createIntake(deps: { history: History; producer: DeployProducer; redis: Redis; rules: ActiveRules; logger: Logger; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());

  /**
   * The history and the jobs go out together on the producer's connection, in one write, without
   * waiting for the history's answer: Redis runs a connection's commands in order, so a job never
   * exists before its deployment does, and the answer is 2xx only once both are stored. A repeated
   * delivery has its jobs added again too; BullMQ keeps a job id once, and a job whose deployment
   * is finished ends at once. If the history fails and the job does not, the job finds no
   * deployment and ends, the sender gets a 503 and delivers again, and the reconciler gives that
   * deployment a new job.
   */
  async function storeAndEnqueue(delivery: Delivery, deployments: readonly NewDeployment[]): Promise<IntakeOutcome> {
    batchWritesThisTurn(deps.redis);
    const [stored] = await Promise.all([deps.history.recordDelivery(delivery, deployments, deps.redis), deps.producer.enqueue(deployments.map((d) => d.id))]);
    if (!stored.created) return answerDuplicate(stored.existing, delivery);
    if (delivery.outcome === 'ignored') return { kind: 'ignored', deliveryId: delivery.id, reason: delivery.reason ?? 'ignored' };
    return { kind: 'accepted', deliveryId: delivery.id, deployments: deployments.map(summarize), ...(delivery.skipped && { skipped: delivery.skipped }) };
  }

  /** A repeat is recorded, and the original's still-queued deployments are re-driven in case its enqueue failed. */
  async function answerDuplicate(existing: Delivery, repeat: Delivery): Promise<IntakeOutcome> {
    const deployments = (await deps.history.getDeployments(existing.deploymentIds)).filter((d): d is Deployment => d !== undefined);
    await deps.producer.enqueue(deployments.filter((d) => d.status === 'queued').map((d) => d.id));
    await deps.history.recordDuplicate({ ...repeat, id: randomUUID(), outcome: 'duplicate', duplicateOf: existing.id, deploymentIds: existing.deploymentIds });
    return { kind: 'duplicate', deliveryId: existing.id, deployments: deployments.map(summarize) };
  }

  return {
    async receive(webhook: IncomingWebhook): Promise<IntakeOutcome> {
      const evaluation = evaluateWebhook(deps.rules.current(), webhook, now(), { requireAuth: true });
      if (evaluation.kind === 'rejected') return evaluation.outcome;
      const { delivery, deployments } = evaluation;
      try {
        const outcome = await storeAndEnqueue(delivery, deployments);
        return evaluation.ping && outcome.kind === 'ignored' ? { kind: 'ping', deliveryId: delivery.id } : outcome;
      } catch (error) {
        deps.logger.error({ err: error, deliveryId: delivery.id }, 'could not store or enqueue a delivery');
        return { kind: 'unavailable', reason: 'Redis cannot take the work right now; retry later' };
      }
    },
  };
}

export type Intake = ReturnType<typeof createIntake>;
