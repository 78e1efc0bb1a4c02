import type { FastifyInstance } from 'fastify';

export function registerHealthRoutes(app: FastifyInstance, deps: { isReady: () => Promise<boolean> }): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = await deps.isReady().catch(() => false);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', redis: ready ? 'up' : 'down' });
  });
}
