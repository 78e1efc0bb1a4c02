import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { registerErrorHandling } from './errors.js';
import { registerHealthRoutes } from './health.js';
import { ANSWERS_UNDER_PRESSURE } from './pressure.js';
import { useZodSchemas } from './schemas.js';

/**
 * `GET /metrics` in Prometheus' text format, without the bearer token: scrapers expect a plain
 * GET, and nothing here is a secret (counts, durations, and source names, which are in the webhook
 * URLs anyway). Keep it off the public internet as you would any metrics endpoint.
 */
export function registerMetricsRoute(app: FastifyInstance, deps: { registry: Registry }): void {
  app.get(
    '/metrics',
    {
      config: ANSWERS_UNDER_PRESSURE,
      schema: {
        summary: 'Prometheus metrics',
        description: 'Text exposition format; the metrics are listed in the README (Metrics).',
        response: { 200: { description: 'the metrics', content: { 'text/plain': { schema: z.string() } } } },
      },
    },
    async (_request, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()),
  );
}

/** The HTTP surface of a worker-only process (on METRICS_PORT): metrics and health, no webhooks or API. */
export function buildMetricsApp(deps: { logger: FastifyBaseLogger; registry: Registry; isReady: () => Promise<boolean> }): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger, logController: new LogController({ disableRequestLogging: true }), genReqId: () => crypto.randomUUID() });
  useZodSchemas(app);
  registerErrorHandling(app);
  registerHealthRoutes(app, { isReady: deps.isReady });
  registerMetricsRoute(app, { registry: deps.registry });
  return app;
}
