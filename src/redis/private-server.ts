import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Where a first run keeps its private Redis's data: in the working directory, ignored by git. */
export const PRIVATE_REDIS_DIR = '.relay-redis';

export interface PrivateRedis {
  readonly url: string;
  readonly pid: number | undefined;
  readonly dir: string;
  stop(): Promise<void>;
}

/** Whether a Redis answers PING at `url` within `timeoutMs`, without retrying or logging. */
export async function redisAnswers(url: string, timeoutMs: number): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A port nothing listens on right now, on the loopback address. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

/**
 * A redis-server left running by an earlier relay that was killed (it has no way to follow its
 * parent out). Two servers must never share one data folder, so it is stopped first.
 */
async function stopLeftover(dir: string): Promise<number | undefined> {
  const pid = Number((await readFile(join(dir, 'redis.pid'), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!command.includes('redis-server')) return undefined;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return pid;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return pid;
}

/**
 * Starts redis-server from PATH on a free local port, its data (append-only file) in `dir`. It
 * runs in its own process group, so a Ctrl-C meant for the relay does not stop Redis while the
 * relay is still draining; the relay stops it last, and kills it if the process exits otherwise.
 */
export async function startPrivateRedis(options: { dir: string; readyTimeoutMs?: number }): Promise<PrivateRedis> {
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  await stopLeftover(dir);
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--pidfile', join(dir, 'redis.pid'), '--logfile', 'redis.log'];
  // BullMQ must never lose keys to eviction; the append-only file keeps the queue across restarts.
  args.push('--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction');
  const child = spawn('redis-server', args, { stdio: 'ignore', detached: true });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start redis-server from PATH: ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}; see ${join(dir, 'redis.log')}`)));
  });
  failed.catch(() => undefined);
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  const ready = (async () => {
    while (Date.now() < deadline) {
      if (await redisAnswers(url, 200)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${port} did not answer within ${options.readyTimeoutMs ?? 10_000} ms; see ${join(dir, 'redis.log')}`);
  })();
  const killNow = () => child.kill('SIGKILL');
  process.once('exit', killNow);
  try {
    await Promise.race([ready, failed]);
  } catch (error) {
    child.kill('SIGKILL');
    process.off('exit', killNow);
    throw error;
  }
  return {
    url,
    pid: child.pid,
    dir,
    async stop() {
      process.off('exit', killNow);
      // SIGTERM makes Redis finish its append-only file before it exits.
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

/**
 * The Redis the relay uses. Only when REDIS_URL was left unset, the process runs every role, and
 * nothing answers at the default address does it start a private redis-server: API and worker
 * processes must share one Redis, and an address someone chose is never replaced behind their back.
 */
export async function redisForRelay(deps: {
  url: string;
  explicit: boolean;
  allInOne: boolean;
  dir: string;
  logger: Logger;
}): Promise<{ url: string; stop(): Promise<void> }> {
  const mine = { url: deps.url, stop: async () => undefined };
  if (deps.explicit || !deps.allInOne || (await redisAnswers(deps.url, 1_000))) return mine;
  try {
    const server = await startPrivateRedis({ dir: deps.dir });
    deps.logger.warn(
      { redis: server.url, pid: server.pid, dir: server.dir },
      `no Redis answers at ${deps.url}: started a private redis-server from PATH with its data in ${server.dir}; it stops with the relay. Set REDIS_URL to use your own Redis`,
    );
    return server;
  } catch (error) {
    deps.logger.warn(
      { err: (error as Error).message },
      `no Redis answers at ${deps.url} and no private redis-server could be started; webhooks get 503 until a Redis answers there (or set REDIS_URL)`,
    );
    return mine;
  }
}
