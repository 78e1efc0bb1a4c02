import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatIssues } from '../config/errors.js';
import type { History } from '../history/history.js';
import { DEPLOYMENT_STATUSES, type Deployment } from '../history/model.js';
import { MAX_DELIVERY_ID_LENGTH } from '../sources/types.js';
import { requireApiToken } from './auth.js';
import { requireStore } from './store-available.js';
import { sendError } from './errors.js';

const page = { limit: z.coerce.number().int().min(1).max(200).default(50), cursor: z.string().min(1).optional() };
const deploymentQuery = z
  .object({
    ...page,
    jobId: z.string().optional(),
    status: z.enum(DEPLOYMENT_STATUSES).optional(),
    route: z.string().optional(),
    source: z.string().optional(),
  })
  .strict();
const deliveryQuery = z.object({ ...page, source: z.string().optional(), outcome: z.enum(['accepted', 'ignored', 'duplicate']).optional() }).strict();
const idParams = z.object({ id: z.string().min(1).max(MAX_DELIVERY_ID_LENGTH) });
/** Delivery ids are unique per source; `?source=` picks one when two sources share an id. */
const deliveryLookup = z.object({ source: z.string().min(1, 'must name a source').optional() }).strict();

/** The worker's bookkeeping (sort key, stale-read flag) stays out of the API. */
function present(deployment: Deployment): Omit<Deployment, 'order' | 'leftTerminal' | 'uncertain'> {
  const { order: _order, leftTerminal: _leftTerminal, uncertain: _uncertain, ...visible } = deployment;
  return visible;
}

const problems = (error: z.ZodError): string => formatIssues(error).join('; ');

export function registerHistoryRoutes(app: FastifyInstance, deps: { history: History; apiToken: string | undefined; storeAvailable: () => boolean }): void {
  void app.register(async (scope) => {
    scope.addHook('preHandler', requireApiToken(deps.apiToken));
    scope.addHook('preHandler', requireStore(deps.storeAvailable));

    scope.get('/deployments', async (request, reply) => {
      const query = deploymentQuery.safeParse(request.query);
      if (!query.success) return sendError(request, reply, 400, 'RELAY_BAD_REQUEST', problems(query.error));
      const result = await deps.history.listDeployments(query.data);
      return { deployments: result.items.map(present), nextCursor: result.nextCursor };
    });

    scope.get('/deployments/:id', async (request, reply) => {
      const params = idParams.safeParse(request.params);
      if (!params.success) return sendError(request, reply, 400, 'RELAY_BAD_REQUEST', problems(params.error));
      const { id } = params.data;
      const deployment = await deps.history.getDeployment(id);
      return deployment ? present(deployment) : sendError(request, reply, 404, 'RELAY_NOT_FOUND', `no deployment with id "${id}"`);
    });

    scope.get('/deliveries', async (request, reply) => {
      const query = deliveryQuery.safeParse(request.query);
      if (!query.success) return sendError(request, reply, 400, 'RELAY_BAD_REQUEST', problems(query.error));
      const result = await deps.history.listDeliveries(query.data);
      return { deliveries: result.items, nextCursor: result.nextCursor };
    });

    scope.get('/deliveries/:id', async (request, reply) => {
      const params = idParams.safeParse(request.params);
      const lookup = deliveryLookup.safeParse(request.query);
      if (!params.success) return sendError(request, reply, 400, 'RELAY_BAD_REQUEST', problems(params.error));
      if (!lookup.success) return sendError(request, reply, 400, 'RELAY_BAD_REQUEST', problems(lookup.error));
      const { id } = params.data;
      const { source } = lookup.data;
      const delivery = await deps.history.getDelivery(id, source);
      return delivery ?? sendError(request, reply, 404, 'RELAY_NOT_FOUND', `no delivery with id "${id}"`);
    });
  });
}
