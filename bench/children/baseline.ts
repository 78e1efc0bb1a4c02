/**
 * The ingest baseline: the least a webhook endpoint on this stack can do. Fastify parses the JSON
 * body and the route adds one job to BullMQ on the same Redis, with the relay's job options and
 * the relay's fail-fast producer connection, and answers 202. No auth, no history, no logging.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { DEPLOY_QUEUE, deployJobOptions } from '../../src/queue/jobs.js';

const port = Number(process.env.PORT);
const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
const queue = new Queue(DEPLOY_QUEUE, { connection, prefix: process.env.PREFIX ?? 'baseline' });
const app = Fastify({ logger: false });

app.post('/webhooks/:source', async (_request, reply) => {
  const deploymentId = randomUUID();
  await queue.add('deploy', { deploymentId }, { ...deployJobOptions, jobId: deploymentId });
  return reply.code(202).send({ deploymentId });
});

const stop = async () => {
  await app.close();
  await queue.close();
  connection.disconnect();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());

await new Promise((resolve) => connection.once('ready', resolve));
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write('bench-baseline ready\n');
