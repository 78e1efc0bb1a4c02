import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { History } from '../history/history.js';
import { DELIVERY_OUTCOMES, DEPLOYMENT_STATUSES, type Deployment } from '../history/model.js';
import { MAX_DELIVERY_ID_LENGTH } from '../sources/types.js';
import { DEPLOYMENT_KINDS } from '../qovery/targets.js';
import { requireApiToken } from './auth.js';
import { requireStore } from './store-available.js';
import { sendError } from './errors.js';
import { BEARER, deliverySchema, deploymentDetailSchema, deploymentSchema, errorSchema } from './schemas.js';

const instant = (end: string) =>
  z.iso
    .datetime({ offset: true })
    .transform((text) => Date.parse(text))
    .optional()
    .describe(`ISO-8601 time: only what arrived ${end} it (included)`);
const page = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).optional(),
  since: instant('at or after'),
  until: instant('at or before'),
};
const deploymentQuery = z
  .object({
    ...page,
    jobId: z.string().optional(),
    targetKind: z.enum(DEPLOYMENT_KINDS).optional(),
    targetId: z.string().optional(),
    status: z.enum(DEPLOYMENT_STATUSES).optional(),
    route: z.string().optional(),
    source: z.string().optional(),
  })
  .strict();
const deliveryQuery = z.object({ ...page, source: z.string().optional(), outcome: z.enum(DELIVERY_OUTCOMES).optional() }).strict();
const idParams = z.object({ id: z.string().min(1).max(MAX_DELIVERY_ID_LENGTH) });
/** Delivery ids are unique per source; `?source=` picks one when two sources share an id. */
const deliveryLookup = z.object({ source: z.string().min(1, 'must name a source').optional() }).strict();

/** The worker's bookkeeping (sort key, stale-read flag, lane) stays out of the API; `target` says what the flat fields say. */
function present(deployment: Deployment): Omit<Deployment, 'order' | 'leftTerminal' | 'uncertain' | 'lanes' | 'targetKind' | 'targetId' | 'services'> {
  const {
    order: _order,
    leftTerminal: _leftTerminal,
    uncertain: _uncertain,
    lanes: _lanes,
    targetKind: _kind,
    targetId: _id,
    services: _services,
    ...visible
  } = deployment;
  return visible;
}

const window = (sinceMs: number | undefined, untilMs: number | undefined) => ({
  ...(sinceMs !== undefined && { sinceMs }),
  ...(untilMs !== undefined && { untilMs }),
});

const nextCursor = z.string().optional().describe('pass as `cursor` for the next page; absent on the last');
const refused = { 400: errorSchema, 401: errorSchema.describe('RELAY_UNAUTHORIZED or RELAY_API_TOKEN_UNSET') };
const docs = (summary: string) => ({ summary, security: BEARER });

/**
 * The zod schemas on each route validate the query and params before the handler runs (a failure
 * answers 400 RELAY_BAD_REQUEST listing every problem) and describe the route in /docs.
 */
export function registerHistoryRoutes(app: FastifyInstance, deps: { history: History; apiToken: string | undefined; storeAvailable: () => boolean }): void {
  void app.register(async (scope) => {
    // On request, not before the handler: the token is checked before the query is validated.
    scope.addHook('onRequest', requireApiToken(deps.apiToken));
    scope.addHook('onRequest', requireStore(deps.storeAvailable));

    scope.get<{ Querystring: z.infer<typeof deploymentQuery> }>(
      '/deployments',
      {
        schema: {
          ...docs('Deployments, newest first'),
          querystring: deploymentQuery,
          response: { 200: z.object({ deployments: z.array(deploymentSchema), nextCursor }), ...refused },
        },
      },
      async (request) => {
        const { since, until, ...filter } = request.query;
        const result = await deps.history.listDeployments({ ...filter, ...window(since, until) });
        return { deployments: result.items.map(present), nextCursor: result.nextCursor };
      },
    );

    scope.get<{ Params: z.infer<typeof idParams> }>(
      '/deployments/:id',
      { schema: { ...docs('One deployment with its transitions'), params: idParams, response: { 200: deploymentDetailSchema, ...refused, 404: errorSchema } } },
      async (request, reply) => {
        const { id } = request.params;
        const [deployment, notifications] = await Promise.all([deps.history.getDeployment(id), deps.history.getNotifications(id)]);
        return deployment ? { ...present(deployment), notifications } : sendError(request, reply, 404, 'RELAY_NOT_FOUND', `no deployment with id "${id}"`);
      },
    );

    scope.get<{ Querystring: z.infer<typeof deliveryQuery> }>(
      '/deliveries',
      {
        schema: {
          ...docs('Every stored webhook request with its outcome, newest first'),
          querystring: deliveryQuery,
          response: { 200: z.object({ deliveries: z.array(deliverySchema), nextCursor }), ...refused },
        },
      },
      async (request) => {
        const { since, until, ...filter } = request.query;
        const result = await deps.history.listDeliveries({ ...filter, ...window(since, until) });
        return { deliveries: result.items, nextCursor: result.nextCursor };
      },
    );

    scope.get<{ Params: z.infer<typeof idParams>; Querystring: z.infer<typeof deliveryLookup> }>(
      '/deliveries/:id',
      {
        schema: {
          ...docs('One delivery'),
          params: idParams,
          querystring: deliveryLookup,
          response: { 200: deliverySchema, ...refused, 404: errorSchema },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const delivery = await deps.history.getDelivery(id, request.query.source);
        return delivery ?? sendError(request, reply, 404, 'RELAY_NOT_FOUND', `no delivery with id "${id}"`);
      },
    );
  });
}
