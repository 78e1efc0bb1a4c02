import { createHash } from 'node:crypto';
import type { NewDeployment } from '../history/history.js';
import type { Delivery } from '../history/model.js';
import type { CompiledRules } from '../routing/active-rules.js';
import type { DeployRequest } from '../routing/plan.js';
import { MAX_DELIVERY_ID_LENGTH, type AuthResult, type NormalizedEvent, type ParseResult, type StatusReport, type WebhookRequest } from '../sources/types.js';
import { readJsonBody } from './json-body.js';
import { selectRequests } from './select-requests.js';
import type { IntakeOutcome } from './outcome.js';

export interface IncomingWebhook {
  readonly source: string;
  readonly pathToken?: string;
  readonly headers: WebhookRequest['headers'];
  readonly rawBody: Buffer;
}

/** What a webhook would lead to, before anything is stored: shared by intake and `POST /rules/test`. */
export type Evaluation =
  | { readonly kind: 'rejected'; readonly outcome: Extract<IntakeOutcome, { kind: 'unknown_source' | 'unauthorized' | 'invalid' }> }
  | {
      readonly kind: 'planned';
      readonly auth: AuthResult;
      readonly ping: boolean;
      readonly delivery: Delivery;
      readonly deployments: readonly NewDeployment[];
      /** A Qovery deployment event, for following to apply once the delivery is stored. */
      readonly status?: StatusReport;
    };

/** Same delivery and route always give the same id, so a replay can never create a second job. */
function deploymentIdFor(source: string, deliveryId: string, request: DeployRequest): string {
  const digest = createHash('sha256').update(`${source}\n${deliveryId}\n${request.route}\n${request.eventIndex}`).digest('hex');
  return `dep_${digest.slice(0, 24)}`;
}

/** Everything routing reads of an event, so that a replay routes the same delivery again. */
function readOf(event: NormalizedEvent, deliveryEvent: string): Delivery['read'][number] {
  const { repository, image, branch, tag, commit, digest, pushedAt, paths } = event;
  const own = event.event !== deliveryEvent ? event.event : undefined;
  return Object.fromEntries(Object.entries({ repository, image, branch, tag, commit, digest, pushedAt, paths, event: own }).filter(([, v]) => v !== undefined));
}

function deliveryFrom(source: { name: string; type: string }, parsed: Exclude<ParseResult, { kind: 'invalid' }>, receivedAt: string): Delivery {
  const base = { id: parsed.deliveryId, source: source.name, sourceType: source.type, event: parsed.event, receivedAt, deploymentIds: [] as string[] };
  switch (parsed.kind) {
    case 'events':
      return { ...base, outcome: 'accepted', read: parsed.events.map((e) => readOf(e, parsed.event)), ...(parsed.skipped && { skipped: parsed.skipped }) };
    case 'ignored':
      return { ...base, outcome: 'ignored', reason: parsed.reason, read: parsed.read ? [readOf(parsed.read, parsed.event)] : [] };
    case 'ping':
      return { ...base, outcome: 'ignored', reason: 'ping: the webhook reached the relay', read: [] };
    case 'status':
      return { ...base, outcome: 'ignored', reason: describeReport(parsed.event, parsed.report), read: [] };
  }
}

/** A Qovery event is kept as a delivery that deployed nothing; the deployments it moved record it themselves. */
function describeReport(event: string, report: StatusReport): string {
  const named = [
    ...(report.requestIds.length > 0 ? [`request ${report.requestIds.join(' / ')}`] : []),
    ...(report.environmentId !== undefined ? [`environment ${report.environmentId}`] : []),
  ];
  return `Qovery ${event}${named.length > 0 ? ` for ${named.join(', ')}` : ''}: a status report for following; it deploys nothing`;
}

export type Planned = { readonly delivery: Delivery; readonly deployments: NewDeployment[] } | { readonly invalid: string };

/** Routes a delivery's events by today's rules: what it deploys, or why nothing. Intake and replays share it. */
export function planEvents(compiled: CompiledRules, source: string, parsed: Extract<ParseResult, { kind: 'events' }>, delivery: Delivery): Planned {
  const result = compiled.plan(source, parsed.events);
  if (!result.matched) return { delivery: { ...delivery, outcome: 'ignored', reason: result.reason }, deployments: [] };
  const selection = selectRequests(result.requests, parsed.events);
  if (selection.kept.length === 0) return { invalid: `nothing Qovery can deploy: ${selection.invalid.join('; ')}` };
  const deployments = selection.kept.map((r) => {
    const { eventIndex, ...request } = r;
    const event = parsed.events[eventIndex];
    const pushedAt = event?.pushedAt;
    // The digest is the pushed image's, so it only describes the deployment when it deploys the pushed tag.
    const digest = event?.digest !== undefined && request.imageTag !== undefined && request.imageTag === event.tag ? event.digest : undefined;
    return {
      ...request,
      id: deploymentIdFor(source, parsed.deliveryId, r),
      ...(pushedAt !== undefined && { pushedAt }),
      ...(digest !== undefined && { imageDigest: digest }),
    };
  });
  const skipped = [...(delivery.skipped ?? []), ...selection.skipped];
  return { delivery: { ...delivery, deploymentIds: deployments.map((d) => d.id), ...(skipped.length > 0 && { skipped }) }, deployments };
}

/**
 * Authenticates, parses and routes a webhook without touching Redis. With `requireAuth: false`
 * (the rules tester) a failed check is reported but does not stop the evaluation.
 */
export function evaluateWebhook(compiled: CompiledRules, webhook: IncomingWebhook, now: Date, options: { requireAuth: boolean }): Evaluation {
  const configured = compiled.sources.get(webhook.source);
  if (!configured || (webhook.pathToken !== undefined && !configured.provider.tokenInPath)) {
    return { kind: 'rejected', outcome: { kind: 'unknown_source', source: webhook.source } };
  }
  const { config, provider } = configured;
  const request: WebhookRequest = {
    headers: webhook.headers,
    rawBody: webhook.rawBody,
    now,
    ...(webhook.pathToken !== undefined && { pathToken: webhook.pathToken }),
  };
  const auth = provider.authenticate(config, request);
  if (!auth.ok && options.requireAuth) return { kind: 'rejected', outcome: { kind: 'unauthorized', reason: auth.reason } };
  const body = readJsonBody(webhook.rawBody);
  if (!body.ok) return { kind: 'rejected', outcome: { kind: 'invalid', code: body.code, reason: body.reason } };
  const parsed = provider.parse(config, request, body.value);
  if (parsed.kind === 'invalid') return { kind: 'rejected', outcome: { kind: 'invalid', code: 'RELAY_PAYLOAD_INVALID', reason: parsed.reason } };

  if (parsed.deliveryId.length > MAX_DELIVERY_ID_LENGTH) {
    const reason = `the delivery id is ${parsed.deliveryId.length} characters long; at most ${MAX_DELIVERY_ID_LENGTH} are kept`;
    return { kind: 'rejected', outcome: { kind: 'invalid', code: 'RELAY_PAYLOAD_INVALID', reason } };
  }
  const delivery = deliveryFrom(config, parsed, now.toISOString());
  if (parsed.kind === 'status') return { kind: 'planned', auth, ping: false, delivery, deployments: [], status: parsed.report };
  if (parsed.kind !== 'events') return { kind: 'planned', auth, ping: parsed.kind === 'ping', delivery, deployments: [] };
  const planned = planEvents(compiled, config.name, parsed, delivery);
  if ('invalid' in planned) return { kind: 'rejected', outcome: { kind: 'invalid', code: 'RELAY_PAYLOAD_INVALID', reason: planned.invalid } };
  return { kind: 'planned', auth, ping: false, ...planned };
}
