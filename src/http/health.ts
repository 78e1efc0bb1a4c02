import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ANSWERS_UNDER_PRESSURE } from './pressure.js';
import { errorSchema } from './schemas.js';

const alive = z.object({ status: z.literal('ok') });
const readiness = z.object({ status: z.enum(['ready', 'unavailable']), redis: z.enum(['up', 'down']) });

export function registerHealthRoutes(app: FastifyInstance, deps: { isReady: () => Promise<boolean> }): void {
  app.get('/healthz', { config: ANSWERS_UNDER_PRESSURE, schema: { summary: 'The process is alive', response: { 200: alive } } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { schema: { summary: 'Redis answers: the relay can take work', response: { 200: readiness, 503: z.union([readiness, errorSchema]) } } },
    async (_request, reply) => {
      const ready = await deps.isReady().catch(() => false);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', redis: ready ? 'up' : 'down' });
    },
  );
}
