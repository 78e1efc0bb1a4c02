import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { RedisClient } from '../redis/scripts.js';
import type { Registry } from 'prom-client';
import type { History } from '../history/history.js';
import type { Intake } from '../intake/receive.js';
import { readJsonBody } from '../intake/json-body.js';
import { answerFrameworkError, registerErrorHandling, RequestBodyError } from './errors.js';
import { registerHealthRoutes } from './health.js';
import { registerHistoryRoutes } from './history-routes.js';
import { registerRulesRoutes } from './rules-routes.js';
import type { WebhookMetrics } from '../metrics/registry.js';
import type { ActiveRules } from '../routing/active-rules.js';
import { registerDocs } from './docs.js';
import { registerMetricsRoute } from './metrics-route.js';
import { registerBackPressure, type PressureLimits } from './pressure.js';
import { useZodSchemas } from './schemas.js';
import { leasedRedisStore } from './rate-limit-store.js';
import { registerWebhookRoutes } from './webhooks.js';
import { registerEventsRoute } from './events-route.js';
import { registerDashboard } from './dashboard.js';
import { registerRedriveRoutes } from './redrive-routes.js';
import type { Redrive } from '../intake/redrive.js';
import type { EventFeed } from '../events/feed.js';

export interface AppDeps {
  readonly logger: FastifyBaseLogger;
  readonly intake: Intake;
  readonly redrive: Redrive;
  readonly history: History;
  readonly rules: ActiveRules;
  /** The live events `GET /events` serves. */
  readonly feed: EventFeed;
  readonly isReady: () => Promise<boolean>;
  /** Whether the history's Redis connection is up, so reads can be answered 503 at once when it is not. */
  readonly storeAvailable: () => boolean;
  readonly apiToken: string | undefined;
  readonly bodyLimit: number;
  readonly server: {
    readonly trustProxy: boolean | number | readonly string[];
    readonly requestTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
  };
  readonly rateLimit: { readonly max: number; readonly timeWindow: number; readonly redis?: RedisClient; readonly nameSpace: string };
  readonly metrics: { readonly registry: Registry; readonly webhooks: WebhookMetrics };
  readonly pressure: PressureLimits;
}

/** Longer than any path segment the relay accepts: a path token (256) or a delivery id (200), URL-encoded. */
const MAX_PARAM_LENGTH = 1_024;

/**
 * A hop count trusts the nearest N addresses of the forwarding chain. Fastify itself refuses hop
 * counts (they cannot tell the proxy from a client that reaches the relay directly), so it is a
 * function here; it is safe only where every client must come through those proxies.
 */
function trustedProxies(setting: boolean | number | readonly string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return typeof setting === 'boolean' ? setting : [...setting];
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
    trustProxy: trustedProxies(deps.server.trustProxy),
    // Fastify's default of 100 answers 414 to a longer path token or delivery id; both are capped below this.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: answerFrameworkError,
    requestTimeout: deps.server.requestTimeoutMs,
    keepAliveTimeout: deps.server.keepAliveTimeoutMs,
    // Node checks for expired requests every 30 s by default: a flood of slow clients would pile up in between.
    http: { headersTimeout: deps.server.headersTimeoutMs, connectionsCheckingInterval: Math.min(1_000, deps.server.headersTimeoutMs) },
  });
  registerErrorHandling(app);
  // JSON bodies of the API routes are read like webhook bodies: UTF-8 only, no lone surrogates, bounded depth.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    const read = readJsonBody(body as Buffer);
    if (read.ok) done(null, read.value);
    else done(new RequestBodyError(read.code, read.reason), undefined);
  });
  // Operator features first: the docs collect the routes added after them, and back-pressure
  // refuses work before any route's own hooks run.
  useZodSchemas(app);
  await registerDocs(app);
  await registerBackPressure(app, deps.pressure);
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
  registerMetricsRoute(app, { registry: deps.metrics.registry });
  registerWebhookRoutes(app, {
    intake: deps.intake,
    bodyLimit: deps.bodyLimit,
    rateLimit: { max: deps.rateLimit.max, timeWindow: deps.rateLimit.timeWindow },
    metrics: deps.metrics.webhooks,
    rules: deps.rules,
  });
  registerHistoryRoutes(app, { history: deps.history, apiToken: deps.apiToken, storeAvailable: deps.storeAvailable });
  await registerDashboard(app);
  registerRedriveRoutes(app, { redrive: deps.redrive, apiToken: deps.apiToken, storeAvailable: deps.storeAvailable });
  await registerEventsRoute(app, { feed: deps.feed, apiToken: deps.apiToken, storeAvailable: deps.storeAvailable });
  registerRulesRoutes(app, { rules: deps.rules, history: deps.history, apiToken: deps.apiToken, storeAvailable: deps.storeAvailable });
  return app;
}
