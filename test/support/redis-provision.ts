import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort, redisAnswers } from '../../src/redis/private-server.js';

/**
 * Where the tests get a real Redis, in this order: a testcontainers Redis when a Docker engine
 * answers; otherwise REDIS_URL; otherwise a redis-server started from PATH on a free port.
 */
export interface ProvidedRedis {
  readonly url: string;
  readonly how: string;
  stop(): Promise<void>;
}

// The relay's own probes: the tests find Redis and free ports the way the first run does.
export { freePort, redisAnswers };

function dockerEngineConfigured(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function fromTestcontainers(): Promise<ProvidedRedis | undefined> {
  if (!dockerEngineConfigured()) return undefined;
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('redis:7-alpine')
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start();
    const url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
    return { url, how: 'testcontainers', stop: async () => void (await container.stop()) };
  } catch (error) {
    process.stderr.write(`testcontainers could not start Redis (${(error as Error).message}); trying REDIS_URL, then redis-server\n`);
    return undefined;
  }
}

/**
 * A private redis-server: also what fault tests use when they need a Redis they may stop.
 * `args` come first (a config file, `--sentinel`, `--replicaof host port`).
 */
export async function startRedisServer(args: readonly string[] = []): Promise<ProvidedRedis & { process: ChildProcess; port: number }> {
  const port = await freePort();
  const sentinel = args.includes('--sentinel');
  const data = sentinel ? [] : ['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'];
  const child = spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1', ...data], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`cannot start redis-server from PATH: ${error.message}`))));
  const url = `redis://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      if (await redisAnswers(url, 200)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${port} did not answer`);
  })();
  await Promise.race([ready, failed]);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, how: `redis-server on port ${port}`, process: child, port, stop };
}

export async function provideRedis(): Promise<ProvidedRedis> {
  const container = await fromTestcontainers();
  if (container) return container;
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    if (await redisAnswers(fromEnv, 2_000)) return { url: fromEnv, how: `REDIS_URL (${fromEnv})`, stop: async () => undefined };
    throw new Error(`REDIS_URL is set to ${fromEnv} but no Redis answers there`);
  }
  try {
    return await startRedisServer();
  } catch (error) {
    throw new Error(
      `The tests need a real Redis and none could be had: no Docker engine answered, REDIS_URL is not set, and ${(error as Error).message}. ` +
        'Install redis-server (apt-get install -y redis-server) or set REDIS_URL.',
      { cause: error },
    );
  }
}
