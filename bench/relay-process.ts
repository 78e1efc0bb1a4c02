import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../test/support/redis-provision.js';
import type { Build } from './build.js';
import { type Child, startChild } from './processes.js';

export const API_TOKEN = 'bench-api-token-0123456789';
export const QOVERY_TOKEN = 'qov_bench_token';

export interface RelayProcess extends Child {
  readonly url: string;
}

export interface RelayOptions {
  readonly build: Build;
  readonly role: 'api' | 'worker' | 'all';
  readonly redisUrl: string;
  readonly prefix: string;
  readonly rulesYaml: string;
  readonly qoveryUrl?: string;
  /** Any other variable of src/config/env.ts; these win over the defaults below. */
  readonly env?: Record<string, string>;
  /** Where to write a V8 CPU profile of this process (written when it exits). */
  readonly cpuProfDir?: string;
  /** Extra node flags, e.g. --heapsnapshot-signal=SIGUSR2 when looking into memory. */
  readonly nodeArgs?: readonly string[];
  readonly name: string;
}

/**
 * Starts the relay the way production does, `node dist/bundle/main.js` with its environment, so the
 * measured process holds only the relay. LOG_LEVEL stays at its default (info): one log line per
 * webhook is part of what the relay costs.
 */
export async function startRelayProcess(options: RelayOptions): Promise<RelayProcess> {
  const port = await freePort();
  const configDir = path.join(options.build.dir, 'rules');
  await mkdir(configDir, { recursive: true });
  const rulesPath = path.join(configDir, `${options.prefix}.yaml`);
  await writeFile(rulesPath, options.rulesYaml);
  const env: Record<string, string> = {
    PORT: String(port),
    // Worker-only relays serve /metrics there; a free port, so runs never collide on the default.
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: options.redisUrl,
    RELAY_KEY_PREFIX: options.prefix,
    RELAY_CONFIG: rulesPath,
    RELAY_ROLE: options.role,
    RELAY_API_TOKEN: API_TOKEN,
    QOVERY_API_TOKEN: QOVERY_TOKEN,
    SHUTDOWN_TIMEOUT_MS: '3000',
    ...(options.qoveryUrl && { QOVERY_API_URL: options.qoveryUrl }),
    ...options.env,
  };
  const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`, `--cpu-prof-name=${options.name}-${process.pid}.cpuprofile`] : [];
  if (options.cpuProfDir) await mkdir(options.cpuProfDir, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  // A worker-only relay has no port: its start-up log line says it is running.
  const ready = options.role === 'worker' ? { line: '"msg":"deploy-relay started"' } : { http: `${url}/readyz`, ok: true };
  const child = await startChild(process.execPath, [...profile, ...(options.nodeArgs ?? []), options.build.mainJs], env, ready);
  return { ...child, url };
}

/** The baseline: a bare Fastify route doing only `queue.add` on the same Redis. */
export async function startBaselineProcess(build: Build, redisUrl: string, prefix: string): Promise<RelayProcess> {
  const port = await freePort();
  const child = await startChild(
    process.execPath,
    [build.baselineJs],
    { PORT: String(port), REDIS_URL: redisUrl, PREFIX: prefix },
    { line: 'bench-baseline ready' },
  );
  return { ...child, url: `http://127.0.0.1:${port}` };
}
