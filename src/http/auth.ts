import type { FastifyReply, FastifyRequest } from 'fastify';
import { secretsEqual } from '../shared/crypto.js';
import { sendError } from './errors.js';

/**
 * Bearer check for the history API. With no token configured the API is closed rather than open,
 * and the answer says how to open it.
 */
export function requireApiToken(apiToken: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (apiToken === undefined) {
      await sendError(request, reply, 401, 'RELAY_API_TOKEN_UNSET', 'the history API is disabled because RELAY_API_TOKEN is not set on the relay');
      return;
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1] || !secretsEqual(match[1].trim(), apiToken)) {
      await sendError(request, reply, 401, 'RELAY_UNAUTHORIZED', 'send Authorization: Bearer <RELAY_API_TOKEN>');
    }
  };
}
