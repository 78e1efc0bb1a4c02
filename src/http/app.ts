import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { History } from '../history/history.js';
import type { Intake } from '../intake/receive.js';
import { readJsonBody } from '../intake/json-body.js';
import { registerErrorHandling, RequestBodyError } from './errors.js';
import { registerHealthRoutes } from './health.js';
import { registerHistoryRoutes } from './history-routes.js';
import { registerRulesRoutes } from './rules-routes.js';
import type { ActiveRules } from '../routing/active-rules.js';
import { leasedRedisStore } from './rate-limit-store.js';
import { registerWebhookRoutes } from './webhooks.js';

export interface AppDeps {
  readonly logger: FastifyBaseLogger;
  readonly intake: Intake;
  readonly history: History;
  readonly rules: ActiveRules;
  readonly isReady: () => Promise<boolean>;
  readonly apiToken: string | undefined;
  readonly bodyLimit: number;
  readonly rateLimit: { readonly max: number; readonly timeWindow: number; readonly redis?: Redis; readonly nameSpace: string };
}

/** Builds the HTTP surface without listening, so tests drive it through `inject` or a real port. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimit,
    // One line per webhook (with its outcome) is written by the route itself; per-request lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    trustProxy: true,
  });
  registerErrorHandling(app);
  // JSON bodies of the API routes are read like webhook bodies: UTF-8 only, no lone surrogates, bounded depth.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    const read = readJsonBody(body as Buffer);
    if (read.ok) done(null, read.value);
    else done(new RequestBodyError(read.code, read.reason), undefined);
  });
  // Limits are counted in Redis so every API process shares one budget per client and source.
  const { nameSpace } = deps.rateLimit;
  await app.register(rateLimit, {
    global: false,
    max: deps.rateLimit.max,
    timeWindow: deps.rateLimit.timeWindow,
    nameSpace,
    ...(deps.rateLimit.redis && { store: leasedRedisStore(deps.rateLimit.redis, nameSpace) }),
    skipOnError: true,
    keyGenerator: (request) => `${request.ip}:${(request.params as { source?: string }).source ?? ''}`,
  });
  registerHealthRoutes(app, { isReady: deps.isReady });
  registerWebhookRoutes(app, { intake: deps.intake, bodyLimit: deps.bodyLimit, rateLimit: { max: deps.rateLimit.max, timeWindow: deps.rateLimit.timeWindow } });
  registerHistoryRoutes(app, { history: deps.history, apiToken: deps.apiToken });
  registerRulesRoutes(app, { rules: deps.rules, history: deps.history, apiToken: deps.apiToken });
  return app;
}
