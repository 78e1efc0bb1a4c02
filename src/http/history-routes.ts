import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatIssues } from '../config/errors.js';
import type { History } from '../history/history.js';
import { DEPLOYMENT_STATUSES, type Deployment } from '../history/model.js';
import { requireApiToken } from './auth.js';
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
const idParams = z.object({ id: z.string().min(1).max(200) });
/** Delivery ids are unique per source; `?source=` picks one when two sources share an id. */
const deliveryLookup = z.object({ source: z.string().min(1).optional() });

/** The worker's bookkeeping (sort key, stale-read flag) stays out of the API. */
function present(deployment: Deployment): Omit<Deployment, 'order' | 'leftTerminal' | 'uncertain'> {
  const { order: _order, leftTerminal: _leftTerminal, uncertain: _uncertain, ...visible } = deployment;
  return visible;
}

const problems = (error: z.ZodError): string => formatIssues(error).join('; ');

export function registerHistoryRoutes(app: FastifyInstance, deps: { history: History; apiToken: string | undefined }): void {
  void app.register(async (scope) => {
    scope.addHook('preHandler', requireApiToken(deps.apiToken));

    scope.get('/deployments', async (request, reply) => {
      const query = deploymentQuery.safeParse(request.query);
      if (!query.success) return sendError(request, reply, 400, 'RELAY_BAD_REQUEST', problems(query.error));
      const result = await deps.history.listDeployments(query.data);
      return { deployments: result.items.map(present), nextCursor: result.nextCursor };
    });

    scope.get('/deployments/:id', async (request, reply) => {
      const { id } = idParams.parse(request.params);
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
      const { id } = idParams.parse(request.params);
      const { source } = deliveryLookup.parse(request.query);
      const delivery = await deps.history.getDelivery(id, source);
      return delivery ?? sendError(request, reply, 404, 'RELAY_NOT_FOUND', `no delivery with id "${id}"`);
    });
  });
}
