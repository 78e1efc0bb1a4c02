import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { History, NewDeployment } from '../history/history.js';
import type { Delivery, Deployment } from '../history/model.js';
import type { DeployProducer } from '../queue/producer.js';
import type { ActiveRules } from '../routing/active-rules.js';
import type { DeployRequest } from '../routing/plan.js';
import type { NormalizedEvent, ParseResult, WebhookRequest } from '../sources/types.js';
import type { DeploymentSummary, IntakeOutcome } from './outcome.js';

export interface IncomingWebhook {
  readonly source: string;
  readonly pathToken?: string;
  readonly headers: WebhookRequest['headers'];
  readonly rawBody: Buffer;
}

/** Same delivery and route always give the same id, so a replay can never create a second job. */
export function deploymentIdFor(deliveryId: string, request: DeployRequest): string {
  const digest = createHash('sha256').update(`${deliveryId}\n${request.route}\n${request.eventIndex}`).digest('hex');
  return `dep_${digest.slice(0, 24)}`;
}

function summarize(d: Pick<Deployment, 'id' | 'route' | 'jobId' | 'imageTag' | 'gitCommitId'>): DeploymentSummary {
  return { id: d.id, route: d.route, jobId: d.jobId, ...(d.imageTag !== undefined && { imageTag: d.imageTag }), ...(d.gitCommitId !== undefined && { gitCommitId: d.gitCommitId }) };
}

function readOf(event: NormalizedEvent): Delivery['read'][number] {
  const { repository, image, branch, tag, commit, pushedAt } = event;
  return Object.fromEntries(Object.entries({ repository, image, branch, tag, commit, pushedAt }).filter(([, v]) => v !== undefined));
}

function parseJson(rawBody: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(rawBody.toString('utf8')) };
  } catch (error) {
    return { ok: false, reason: `the body is not valid JSON (${(error as Error).message})` };
  }
}

export function createIntake(deps: { history: History; producer: DeployProducer; rules: ActiveRules; logger: Logger; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());

  async function storeAndEnqueue(delivery: Delivery, deployments: readonly NewDeployment[]): Promise<IntakeOutcome> {
    const stored = await deps.history.recordDelivery(delivery, deployments);
    if (!stored.created) return answerDuplicate(stored.existing, delivery);
    await deps.producer.enqueue(deployments.map((d) => d.id));
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

  function deliveryFrom(source: { name: string; type: string }, parsed: Exclude<ParseResult, { kind: 'invalid' }>, receivedAt: string): Delivery {
    const base = { id: parsed.deliveryId, source: source.name, sourceType: source.type, event: parsed.event, receivedAt, deploymentIds: [] as string[] };
    switch (parsed.kind) {
      case 'events':
        return { ...base, outcome: 'accepted', read: parsed.events.map(readOf), ...(parsed.skipped && { skipped: parsed.skipped }) };
      case 'ignored':
        return { ...base, outcome: 'ignored', reason: parsed.reason, read: parsed.read ? [readOf(parsed.read)] : [] };
      case 'ping':
        return { ...base, outcome: 'ignored', reason: 'ping: the webhook reached the relay', read: [] };
    }
  }

  return {
    async receive(webhook: IncomingWebhook): Promise<IntakeOutcome> {
      const compiled = deps.rules.current();
      const configured = compiled.sources.get(webhook.source);
      if (!configured || (webhook.pathToken !== undefined && !configured.provider.tokenInPath)) return { kind: 'unknown_source', source: webhook.source };
      const { config, provider } = configured;
      const receivedAt = now();
      const request: WebhookRequest = { headers: webhook.headers, rawBody: webhook.rawBody, now: receivedAt, ...(webhook.pathToken !== undefined && { pathToken: webhook.pathToken }) };

      const auth = provider.authenticate(config, request);
      if (!auth.ok) return { kind: 'unauthorized', reason: auth.reason };
      const body = parseJson(webhook.rawBody);
      if (!body.ok) return { kind: 'invalid', code: 'RELAY_BODY_NOT_JSON', reason: body.reason };
      const parsed = provider.parse(config, request, body.value);
      if (parsed.kind === 'invalid') return { kind: 'invalid', code: 'RELAY_PAYLOAD_INVALID', reason: parsed.reason };

      let delivery = deliveryFrom(config, parsed, receivedAt.toISOString());
      let deployments: NewDeployment[] = [];
      if (parsed.kind === 'events') {
        const plan = compiled.plan(config.name, parsed.events);
        if (!plan.matched) {
          delivery = { ...delivery, outcome: 'ignored', reason: plan.reason };
        } else {
          deployments = plan.requests.map((r) => {
            const { eventIndex, ...request } = r;
            const pushedAt = parsed.events[eventIndex]?.pushedAt;
            return { ...request, id: deploymentIdFor(parsed.deliveryId, r), ...(pushedAt !== undefined && { pushedAt }) };
          });
          delivery = { ...delivery, deploymentIds: deployments.map((d) => d.id) };
        }
      }
      try {
        const outcome = await storeAndEnqueue(delivery, deployments);
        return parsed.kind === 'ping' && outcome.kind === 'ignored' ? { kind: 'ping', deliveryId: delivery.id } : outcome;
      } catch (error) {
        deps.logger.error({ err: error, deliveryId: delivery.id }, 'could not store or enqueue a delivery');
        return { kind: 'unavailable', reason: 'Redis cannot take the work right now; retry later' };
      }
    },
  };
}

export type Intake = ReturnType<typeof createIntake>;
