import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.js';

/**
 * Routes that read the history answer 503 at once while Redis is not connected, as the webhooks
 * do, instead of waiting out the client's reconnect attempts and then failing with a 500.
 */
export function requireStore(storeAvailable: () => boolean) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!storeAvailable()) await sendError(request, reply.header('retry-after', '5'), 503, 'RELAY_UNAVAILABLE', 'Redis is unavailable right now; retry later');
  };
}
