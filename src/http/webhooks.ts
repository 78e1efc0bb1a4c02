import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Intake } from '../intake/receive.js';
import { HTTP_STATUS_BY_OUTCOME, type IntakeOutcome } from '../intake/outcome.js';
import type { WebhookMetrics } from '../metrics/registry.js';
import type { ActiveRules } from '../routing/active-rules.js';
import { sendError } from './errors.js';
import { documentedOnly } from './schemas.js';
import { webhookSchema } from './webhook-schema.js';

/** `type/subtype`, optionally with parameters: what Fastify's content-type parsing accepts. */
const MEDIA_TYPE = /^\s*[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(;.*)?$/;

interface WebhookParams {
  source: string;
  token?: string;
}

/** The one mapping from intake outcomes to HTTP answers; the status comes from the outcome table. */
function reply(request: FastifyRequest, res: FastifyReply, outcome: IntakeOutcome): FastifyReply {
  const status = HTTP_STATUS_BY_OUTCOME[outcome.kind];
  switch (outcome.kind) {
    case 'accepted':
      return res.code(status).send({ deliveryId: outcome.deliveryId, deployments: outcome.deployments, ...(outcome.skipped && { skipped: outcome.skipped }) });
    case 'ignored':
      return res.code(status).send({ deliveryId: outcome.deliveryId, deployments: [], ignored: outcome.reason });
    case 'duplicate':
      return res.code(status).send({ deliveryId: outcome.deliveryId, duplicate: true, deployments: outcome.deployments });
    case 'ping':
      return res.code(status).send({ deliveryId: outcome.deliveryId, ping: true });
    case 'status':
      return res.code(status).send({ deliveryId: outcome.deliveryId, deployments: [], status: { moved: outcome.moved, rechecked: outcome.rechecked } });
    case 'unknown_source':
      return sendError(request, res, status, 'RELAY_UNKNOWN_SOURCE', `no source named "${outcome.source}" is configured`);
    case 'unauthorized':
      return sendError(request, res, status, 'RELAY_SIGNATURE_INVALID', outcome.reason);
    case 'invalid':
      return sendError(request, res, status, outcome.code, outcome.reason);
    case 'unavailable':
      return sendError(request, res, status, 'RELAY_UNAVAILABLE', outcome.reason);
  }
}

/**
 * Webhook routes keep the body as raw bytes: signatures are computed over the exact bytes sent,
 * so nothing may parse or re-encode the body before the provider has verified it.
 */
export interface WebhookRouteDeps {
  readonly intake: Intake;
  readonly bodyLimit: number;
  readonly rateLimit: { max: number; timeWindow: number };
  readonly metrics: WebhookMetrics;
  readonly rules: Pick<ActiveRules, 'current'>;
}

/** Refusals the HTTP layer makes before intake sees the request, named like intake outcomes. */
function refusedBeforeIntake(error: { code?: string; statusCode?: number }): string {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'too_large';
  return error.statusCode === 429 ? 'rate_limited' : 'error';
}

export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): void {
  void app.register(async (scope) => {
    // Any content type is read as bytes, a missing or malformed one too: the provider decides what
    // the body is, and Fastify would otherwise answer 415 before the signature is even checked.
    scope.addHook('onRequest', async (request) => {
      if (!MEDIA_TYPE.test(request.headers['content-type'] ?? '')) request.headers['content-type'] = 'application/octet-stream';
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_request, body, done) => done(null, body));

    const handler = async (request: FastifyRequest<{ Params: WebhookParams }>, res: FastifyReply) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const outcome = await deps.intake.receive({
        source: request.params.source,
        headers: request.headers,
        rawBody,
        ...(request.params.token !== undefined && { pathToken: request.params.token }),
      });
      request.log.info({ source: request.params.source, outcome: outcome.kind, ...('deliveryId' in outcome && { deliveryId: outcome.deliveryId }) }, 'webhook');
      // An unknown source is whatever the sender put in the URL: it gets no label of its own.
      deps.metrics.webhookAnswered(outcome.kind === 'unknown_source' ? '' : request.params.source, outcome.kind);
      return reply(request, res, outcome);
    };
    // Only runs when a request fails before the handler (too large, rate limited): nothing per accepted webhook.
    scope.addHook('onError', async (request: FastifyRequest<{ Params: WebhookParams }>, _res, error: { code?: string; statusCode?: number }) => {
      const known = deps.rules.current().sources.has(request.params.source);
      deps.metrics.webhookAnswered(known ? request.params.source : '', refusedBeforeIntake(error));
    });
    const options = { bodyLimit: deps.bodyLimit, config: { rateLimit: deps.rateLimit }, validatorCompiler: documentedOnly };
    scope.post('/webhooks/:source', { ...options, schema: webhookSchema(false) }, handler);
    scope.post('/webhooks/:source/:token', { ...options, schema: webhookSchema(true) }, handler);
  });
}
