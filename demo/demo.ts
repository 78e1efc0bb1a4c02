/**
 * `npm run demo [-- --keep]`: a relay in live mode against the fake Qovery (test/fakes), a signed
 * GitHub push, and the deployment followed until it is `succeeded`; then the commands to look at
 * it, and everything stops (with --keep, on Ctrl-C). Uses REDIS_URL, else the default address,
 * else a private redis-server in a temporary folder. Exits 0 only when the deployment succeeded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../src/config/env.js';
import { deleteKeysWithPrefix } from '../src/redis/connection.js';
import { freePort, redisAnswers, startPrivateRedis } from '../src/redis/private-server.js';
import { startFakeQovery } from '../test/fakes/fake-qovery.js';
import { sign } from '../test/fakes/signers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JOB = '00000000-0000-4000-8000-00000000d3e0';
const COMMIT = '9fceb02d0ae598e95dc970b74767f19372d61af8';
const DEADLINE_MS = 10_000;
const say = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const secret = (bytes: number) => randomBytes(bytes).toString('hex');

/** Polls `probe` until it returns a value, or gives up at the deadline. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

async function provideRedis(dir: string): Promise<{ url: string; how: string; stop(): Promise<void> }> {
  const url = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  if (await redisAnswers(url, 1_000)) return { url, how: url, stop: async () => undefined };
  if (process.env.REDIS_URL) throw new Error(`REDIS_URL is ${url} but no Redis answers there`);
  const server = await startPrivateRedis({ dir: join(dir, 'redis') });
  return { url: server.url, how: `a private redis-server (${server.url})`, stop: () => server.stop() };
}

function stopRelay(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return exited.finally(() => clearTimeout(force));
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

async function demo(keep: boolean): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'deploy-relay-demo-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  let relayOutput = '';
  try {
    const redis = await provideRedis(dir);
    cleanups.unshift(() => redis.stop());
    const qoveryToken = `demo-${secret(8)}`;
    const fake = await startFakeQovery({ token: qoveryToken });
    cleanups.unshift(() => fake.close());
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const apiToken = `demo-${secret(12)}`;
    const githubSecret = secret(16);
    const prefix = `demo-${secret(4)}`;
    cleanups.splice(1, 0, () => deleteKeys(redis.url, prefix));
    const rulesPath = join(dir, 'relay.config.yaml');
    await writeFile(
      rulesPath,
      `sources:\n  - { name: github, type: github, secret: "\${DEMO_GITHUB_SECRET}" }\n` +
        `routes:\n  - { name: api-main, source: github, match: { repository: acme/api, branch: main }, target: { jobId: ${JOB} }, deploy: commit }\n`,
    );
    say(`Redis: ${redis.how}; fake Qovery: ${fake.url}; relay: ${base} (live mode against the fake)`);

    // The relay runs from the temporary folder, so a .env in the project does not leak into it.
    const relay = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        PORT: String(port),
        HOST: '127.0.0.1',
        REDIS_URL: redis.url,
        RELAY_KEY_PREFIX: prefix,
        RELAY_CONFIG: rulesPath,
        RELAY_API_TOKEN: apiToken,
        DEPLOY_MODE: 'live',
        QOVERY_API_URL: fake.url,
        QOVERY_API_TOKEN: qoveryToken,
        QOVERY_POLL_INTERVAL_MS: '200',
        DEMO_GITHUB_SECRET: githubSecret,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keepOutput = (chunk: Buffer) => (relayOutput += chunk.toString('utf8'));
    relay.stdout.on('data', keepOutput);
    relay.stderr.on('data', keepOutput);
    cleanups.splice(2, 0, () => stopRelay(relay));
    await waitFor('the relay answering /readyz', async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 30_000);

    const body = Buffer.from(
      JSON.stringify({
        ref: 'refs/heads/main',
        after: COMMIT,
        repository: { full_name: 'acme/api' },
        head_commit: { id: COMMIT, timestamp: new Date().toISOString() },
      }),
    );
    const signed = sign({ name: 'github', type: 'github', secret: githubSecret }, body);
    const sent = Date.now();
    const response = await fetch(`${base}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `demo-${secret(6)}`, ...signed.headers },
      body,
    });
    const accepted = (await response.json()) as { deployments?: Array<{ id: string }> };
    const id = accepted.deployments?.[0]?.id;
    if (response.status !== 202 || !id) throw new Error(`the webhook was answered ${response.status}: ${JSON.stringify(accepted)}`);
    say(`POST /webhooks/github (a signed push of acme/api main) -> ${response.status}, deployment ${id}`);

    const headers = { authorization: `Bearer ${apiToken}` };
    const deployment = await waitFor(
      `deployment ${id} reaching an end`,
      async () => {
        const d = (await (await fetch(`${base}/deployments/${id}`, { headers })).json()) as {
          status: string;
          transitions: Array<{ status: string; detail?: string; attempt?: number }>;
        };
        return ['succeeded', 'failed', 'superseded', 'timed_out', 'ignored'].includes(d.status) ? d : undefined;
      },
      DEADLINE_MS,
    );
    const took = ((Date.now() - sent) / 1000).toFixed(1);
    for (const t of deployment.transitions) say(`  ${t.status.padEnd(11)} ${t.detail ?? (t.attempt ? `attempt ${t.attempt}` : '')}`);
    say(
      `deployment ${id} ${deployment.status} ${took} s after the webhook; the fake Qovery got ${fake.deployCalls(JOB).length} deploy call and ${fake.statusCalls(JOB).length} status reads`,
    );
    say();
    say('To look at it:');
    say(`  curl -s ${base}/deployments/${id} -H 'authorization: Bearer ${apiToken}'`);
    say(`  curl -s '${base}/deliveries?source=github' -H 'authorization: Bearer ${apiToken}'`);
    if (keep) {
      say('The relay keeps running for these commands; Ctrl-C stops everything.');
      await new Promise<void>((resolve) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => resolve())));
    } else {
      say('(Everything stops now; `npm run demo -- --keep` keeps the relay running until Ctrl-C.)');
    }
    return deployment.status === 'succeeded';
  } catch (error) {
    process.stderr.write(`demo failed: ${(error as Error).message}\n${relayOutput ? `relay output:\n${relayOutput}\n` : ''}`);
    return false;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

process.exitCode = (await demo(process.argv.includes('--keep'))) ? 0 : 1;
