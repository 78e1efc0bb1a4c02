import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** One redis-server of the test cluster. */
export interface ClusterNodeProcess {
  readonly port: number;
  readonly process: ChildProcess;
}

export interface TestCluster {
  /** REDIS_URL for the relay: every master's address. */
  readonly url: string;
  readonly nodes: readonly ClusterNodeProcess[];
  /** The port of the master serving the slot of `key` right now, asked of a live node. */
  masterOf(key: string): Promise<number>;
  stop(): Promise<void>;
}

const listens = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await listens(port)) && (await listens(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free port pair for a cluster node');
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the test cluster did not ${what} within ${timeoutMs} ms`);
}

async function ask<T>(port: number, run: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await run(redis);
  } finally {
    redis.disconnect();
  }
}

/**
 * Three masters with one replica each, private redis-server processes in cluster mode on free
 * loopback ports, joined with `redis-cli --cluster create`. A master that stops answering is
 * failed over to its replica after `cluster-node-timeout` (1 s here).
 */
export async function startTestCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-cluster-'));
  const taken = new Set<number>();
  const nodes: ClusterNodeProcess[] = [];
  for (let i = 0; i < 6; i++) {
    const port = await freeClusterPort(taken);
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '1000',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--repl-diskless-sync-delay',
        '0',
        '--repl-diskless-load',
        'on-empty-db',
      ],
      { stdio: 'ignore' },
    );
    nodes.push({ port, process: child });
  }
  const stop = async () => {
    await Promise.all(
      nodes.map(async ({ process: child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const { port } of nodes) await until(async () => (await ask(port, (r) => r.ping())) === 'PONG', 10_000, `start node ${port}`);
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stderr || created.stdout}`);
    for (const { port } of nodes) {
      await until(async () => (await ask(port, (r) => r.cluster('INFO'))).includes('cluster_state:ok'), 20_000, `agree on node ${port}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const live = () => nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
  return {
    url: `redis+cluster://${nodes
      .slice(0, 3)
      .map((n) => `127.0.0.1:${n.port}`)
      .join(',')}`,
    nodes,
    async masterOf(key) {
      const [first] = live();
      if (!first) throw new Error('no cluster node is alive');
      return ask(first.port, async (redis) => {
        const slot = Number(await redis.cluster('KEYSLOT', key));
        const ranges = await redis.cluster('SLOTS');
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        const master = range?.[2];
        if (!master) throw new Error(`no master serves slot ${slot}`);
        return Number(master[1]);
      });
    },
    stop,
  };
}
