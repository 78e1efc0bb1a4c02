import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Redrive, RedriveRefusal } from '../intake/redrive.js';
import { MAX_DELIVERY_ID_LENGTH } from '../sources/types.js';
import { requireApiToken } from './auth.js';
import { sendError } from './errors.js';
import { BEARER, deploymentSummarySchema, errorSchema } from './schemas.js';
import { requireStore } from './store-available.js';

const idParams = z.object({ id: z.string().min(1).max(MAX_DELIVERY_ID_LENGTH) });
const replayQuery = z.object({ source: z.string().min(1, 'must name a source').optional() }).strict();

const replayAnswer = z.object({
  deliveryId: z.string().describe('the new delivery, with `replayOf` set'),
  replayOf: z.string(),
  deployments: z.array(deploymentSummarySchema).describe('what the replay queued; empty when today’s rules deploy nothing'),
  ignored: z.string().optional().describe('why nothing was queued, as for a webhook'),
  skipped: z.array(z.string()).optional(),
});
const redeployAnswer = z.object({
  deliveryId: z.string().describe('the delivery that records the re-drive (event `redeploy`)'),
  redeployOf: z.string(),
  deployments: z.array(deploymentSummarySchema).length(1).describe('the new deployment, with `redeployOf` set'),
});
const refused = {
  400: errorSchema,
  401: errorSchema,
  404: errorSchema,
  409: errorSchema.describe('RELAY_CONFLICT: the delivery or deployment cannot be replayed or re-driven, and why'),
};

/** The operator's recovery actions; each answers 202 like a webhook that was queued. */
export function registerRedriveRoutes(app: FastifyInstance, deps: { redrive: Redrive; apiToken: string | undefined; storeAvailable: () => boolean }): void {
  void app.register(async (scope) => {
    scope.addHook('onRequest', requireApiToken(deps.apiToken));
    scope.addHook('onRequest', requireStore(deps.storeAvailable));
    const refuse = (request: Parameters<typeof sendError>[0], reply: Parameters<typeof sendError>[1], refusal: RedriveRefusal) =>
      refusal.refused === 'not_found'
        ? sendError(request, reply, 404, 'RELAY_NOT_FOUND', refusal.message)
        : sendError(request, reply, 409, 'RELAY_CONFLICT', refusal.message);

    scope.post<{ Params: z.infer<typeof idParams>; Querystring: z.infer<typeof replayQuery> }>(
      '/deliveries/:id/replay',
      {
        schema: {
          summary: "Route a stored delivery again by today's rules (after fixing a rule)",
          security: BEARER,
          params: idParams,
          querystring: replayQuery,
          response: { 202: replayAnswer, ...refused },
        },
      },
      async (request, reply) => {
        const result = await deps.redrive.replay(request.params.id, request.query.source);
        if (result.refused) return refuse(request, reply, result);
        return reply.code(202).send(result);
      },
    );

    scope.post<{ Params: z.infer<typeof idParams> }>(
      '/deployments/:id/redeploy',
      {
        schema: {
          summary: 'Re-drive a failed or timed-out deployment: a new deployment of the same version',
          security: BEARER,
          params: idParams,
          response: { 202: redeployAnswer, ...refused },
        },
      },
      async (request, reply) => {
        const result = await deps.redrive.redeploy(request.params.id);
        if (result.refused) return refuse(request, reply, result);
        return reply.code(202).send(result);
      },
    );
  });
}
