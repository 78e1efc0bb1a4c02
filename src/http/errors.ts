import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidCursorError } from '../history/queries.js';

/** Stable codes: clients and tests match on these, never on message text. */
export type ErrorCode =
  | 'RELAY_SIGNATURE_INVALID'
  | 'RELAY_UNKNOWN_SOURCE'
  | 'RELAY_BODY_NOT_JSON'
  | 'RELAY_PAYLOAD_INVALID'
  | 'RELAY_INVALID_ENCODING'
  | 'RELAY_BODY_TOO_LARGE'
  | 'RELAY_UNAVAILABLE'
  | 'RELAY_UNAUTHORIZED'
  | 'RELAY_API_TOKEN_UNSET'
  | 'RELAY_BAD_REQUEST'
  | 'RELAY_URI_TOO_LONG'
  | 'RELAY_UNSUPPORTED_MEDIA_TYPE'
  | 'RELAY_NOT_FOUND'
  | 'RELAY_CONFLICT'
  | 'RELAY_DASHBOARD_NOT_BUILT'
  | 'RELAY_RATE_LIMITED'
  | 'RELAY_OVERLOADED'
  | 'RELAY_INTERNAL';

/** A request body refused before any route saw it, with the stable code its answer carries. */
export class RequestBodyError extends Error {
  override readonly name = 'RequestBodyError';
  readonly statusCode = 400;
  constructor(
    readonly relayCode: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function sendError(request: FastifyRequest, reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  return reply.code(status).send({ code, message, reqId: request.id });
}

/** Errors Fastify raises before a route runs, in the relay's shape: status and stable code by Fastify's code. */
const FASTIFY_ERRORS: Readonly<Record<string, readonly [number, ErrorCode]>> = {
  FST_ERR_BAD_URL: [400, 'RELAY_BAD_REQUEST'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'RELAY_URI_TOO_LONG'],
  FST_ERR_ASYNC_CONSTRAINT: [500, 'RELAY_INTERNAL'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'RELAY_UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'RELAY_BAD_REQUEST'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'RELAY_BODY_NOT_JSON'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'RELAY_BODY_NOT_JSON'],
};

/** Fastify's `frameworkErrors` option: router errors (a bad or too long URL) answered like every other error. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const [status, code] = FASTIFY_ERRORS[error.code] ?? [400, 'RELAY_BAD_REQUEST'];
  return sendError(request, reply, status, code, error.message);
}

/** ioredis's ways of saying the connection went away under a command: the client should retry, as after a 503. */
function isRedisUnavailable(error: Error & { code?: string }): boolean {
  return (
    error.name === 'MaxRetriesPerRequestError' || error.message === 'Connection is closed.' || error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET'
  );
}

/** One handler for everything thrown, so every error a client sees has the same shape. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => sendError(request, reply, 404, 'RELAY_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(
        request,
        reply,
        413,
        'RELAY_BODY_TOO_LARGE',
        `the body is larger than the limit of ${request.routeOptions.bodyLimit ?? 'the configured'} bytes`,
      );
    }
    if (isRedisUnavailable(error))
      return sendError(request, reply.header('retry-after', '5'), 503, 'RELAY_UNAVAILABLE', 'Redis is unavailable right now; retry later');
    const known = FASTIFY_ERRORS[error.code];
    if (known) return sendError(request, reply, known[0], known[1], error.message);
    if (error instanceof RequestBodyError) return sendError(request, reply, error.statusCode, error.relayCode, error.message);
    // @fastify/under-pressure has set Retry-After already.
    if (error.code === 'FST_UNDER_PRESSURE')
      return sendError(request, reply, 503, 'RELAY_OVERLOADED', 'the relay is overloaded; retry after the Retry-After delay');
    if (error instanceof InvalidCursorError) return sendError(request, reply, 400, 'RELAY_BAD_REQUEST', `cursor: ${error.message}`);
    if (error.statusCode === 429) return sendError(request, reply, 429, 'RELAY_RATE_LIMITED', error.message);
    if (error.validation || (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)) {
      return sendError(request, reply, error.statusCode ?? 400, 'RELAY_BAD_REQUEST', error.message);
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendError(request, reply, 500, 'RELAY_INTERNAL', 'internal error; see the relay logs for this reqId');
  });
}
