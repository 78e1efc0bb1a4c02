import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Intake } from '../intake/receive.js';
import { HTTP_STATUS_BY_OUTCOME, type IntakeOutcome } from '../intake/outcome.js';
import { sendError } from './errors.js';

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
export function registerWebhookRoutes(app: FastifyInstance, deps: { intake: Intake; bodyLimit: number; rateLimit: { max: number; timeWindow: number } }): void {
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
      return reply(request, res, outcome);
    };
    const options = { bodyLimit: deps.bodyLimit, config: { rateLimit: deps.rateLimit } };
    scope.post('/webhooks/:source', options, handler);
    scope.post('/webhooks/:source/:token', options, handler);
  });
}
