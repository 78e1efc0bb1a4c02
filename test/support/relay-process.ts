import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { QOVERY_TOKEN, startTestRelay, type TestRelay } from './relay.js';

/** The real entry point (src/main.ts) in its own process, configured only through its environment. */
export interface RelayProcess {
  readonly child: ChildProcess;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
  exited: Promise<number | null>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `entry` is src/main.ts run through tsx unless a test names a built entry (the bundle) to run
 * with plain node.
 */
export function spawnRelay(env: Record<string, string>, entry?: string): RelayProcess {
  const args = entry ? [entry] : ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts')];
  // An empty working directory: the relay reads ./.env from it, and a developer's .env (the Quick
  // start copies one into the project) must not configure the processes a test starts.
  const child = spawn(process.execPath, args, {
    cwd: mkdtempSync(join(tmpdir(), 'relay-process-')),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** A worker process on the test relay's Redis prefix and fake Qovery, with fast fault-test timings. */
export function workerEnv(relay: TestRelay, rulesPath: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    RELAY_ROLE: 'worker',
    // A free port each: fleets run several workers, which would all want METRICS_PORT's default.
    METRICS_PORT: '0',
    REDIS_URL: inject('redisUrl'),
    RELAY_KEY_PREFIX: relay.prefix,
    RELAY_CONFIG: rulesPath,
    QOVERY_API_URL: relay.fake.url,
    QOVERY_API_TOKEN: QOVERY_TOKEN,
    QOVERY_REQUEST_TIMEOUT_MS: '2000',
    QOVERY_POLL_INTERVAL_MS: '100',
    QOVERY_MAX_REQUESTS_PER_HOUR: '100000000',
    // A dead worker's active jobs are taken back once their lock lapses.
    WORKER_LOCK_MS: '2000',
    WORKER_CONCURRENCY: '8',
    DEPLOY_BACKOFF_BASE_MS: '50',
    DEPLOY_BACKOFF_MAX_MS: '500',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}

/**
 * An API relay in the test process and worker processes beside it, on its Redis prefix, its fake
 * Qovery and a copy of its rules file: what the multi-process fault tests share. `close` kills
 * the workers, closes the relay and removes the rules file.
 */
export async function startWorkerFleet(rulesYaml: string, env: Record<string, string>, redis?: { readonly url: string; readonly prefix: string }) {
  const own = redis && { REDIS_URL: redis.url, RELAY_KEY_PREFIX: redis.prefix };
  const relay = await startTestRelay(rulesYaml, { RELAY_ROLE: 'api', ...own }, env);
  const workDir = await mkdtemp(join(tmpdir(), 'relay-workers-'));
  const rulesPath = join(workDir, 'rules.yaml');
  await writeFile(rulesPath, rulesYaml);
  const workers: RelayProcess[] = [];
  return {
    relay,
    workers: workers as readonly RelayProcess[],
    spawnWorker(overrides: Record<string, string> = {}): RelayProcess {
      const worker = spawnRelay(workerEnv(relay, rulesPath, { ...env, ...own, ...overrides }));
      workers.push(worker);
      return worker;
    },
    logs: () => workers.map((w, i) => `--- worker ${i + 1} ---\n${w.output()}`).join('\n'),
    async close() {
      await Promise.all(workers.splice(0).map((w) => w.kill('SIGKILL')));
      await relay.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

export type WorkerFleet = Awaited<ReturnType<typeof startWorkerFleet>>;
