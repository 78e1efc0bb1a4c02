import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { inject, expect } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { parseRules, type Rules } from '../../src/config/rules.js';
import { deleteKeysWithPrefix } from '../../src/redis/connection.js';
import { startRelay, type Relay, type RelayConfig } from '../../src/relay.js';
import { sign } from '../fakes/signers.js';
import { startFakeQovery, type FakeQovery } from '../fakes/fake-qovery.js';
import type { SourceConfig } from '../../src/sources/types.js';

export const API_TOKEN = 'test-api-token-0123456789';
export const QOVERY_TOKEN = 'qov_test_token';

export interface TestRelay {
  readonly relay: Relay;
  readonly fake: FakeQovery;
  readonly prefix: string;
  readonly redis: Redis;
  readonly rules: Rules;
  /** Signs `body` the way the named source's provider does and posts it. */
  post(
    sourceName: string,
    body: unknown,
    headers?: Record<string, string>,
    options?: { raw?: Buffer; pathToken?: string; unsigned?: boolean },
  ): Promise<{ statusCode: number; json: any }>;
  get(path: string, token?: string | null): Promise<{ statusCode: number; json: any }>;
  close(): Promise<void>;
}

/** What the relay uses when nothing is set, for the settings tests leave alone. */
const DEFAULTS = loadEnv({ RELAY_ROLE: 'api' });

/** The history's retention when nothing is set, for tests that create a history of their own. */
export const DEFAULT_RETENTION = { days: DEFAULTS.HISTORY_RETENTION_DAYS, maxDeliveries: DEFAULTS.HISTORY_MAX_DELIVERIES };

/** Fast timings so retries and polls run in milliseconds; each test relay owns a fresh key prefix. */
export function testConfig(prefix: string, qoveryUrl: string, overrides: Partial<RelayConfig> = {}): RelayConfig {
  return {
    REDIS_URL: inject('redisUrl'),
    RELAY_KEY_PREFIX: prefix,
    RELAY_ROLE: 'all',
    RELAY_API_TOKEN: API_TOKEN,
    QOVERY_API_URL: qoveryUrl,
    QOVERY_API_TOKEN: QOVERY_TOKEN,
    DEPLOY_MODE: 'live',
    QOVERY_REQUEST_TIMEOUT_MS: 1_000,
    DEPLOY_MAX_ATTEMPTS: 4,
    DEPLOY_BACKOFF_BASE_MS: 10,
    DEPLOY_BACKOFF_MAX_MS: 200,
    WORKER_CONCURRENCY: 8,
    WEBHOOK_BODY_LIMIT_BYTES: 64 * 1024,
    RATE_LIMIT_MAX: 10_000,
    RATE_LIMIT_WINDOW_MS: 60_000,
    QOVERY_POLL_INTERVAL_MS: 30,
    QOVERY_SAFETY_POLL_INTERVAL_MS: 60_000,
    QOVERY_DEPLOY_TIMEOUT_MS: 60_000,
    QOVERY_MAX_REQUESTS_PER_HOUR: 10_000_000,
    WORKER_LOCK_MS: 5_000,
    RECONCILE_INTERVAL_MS: 60_000,
    TRUST_PROXY: false,
    HTTP_REQUEST_TIMEOUT_MS: 30_000,
    HTTP_HEADERS_TIMEOUT_MS: 10_000,
    HTTP_KEEP_ALIVE_TIMEOUT_MS: 72_000,
    // Off in tests: a loaded CI machine must not refuse the suite's own requests.
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 0,
    PRESSURE_MAX_HEAP_USED_BYTES: 0,
    PRESSURE_MAX_RSS_BYTES: 0,
    PRESSURE_RETRY_AFTER_S: 10,
    HISTORY_RETENTION_DAYS: DEFAULTS.HISTORY_RETENTION_DAYS,
    HISTORY_MAX_DELIVERIES: DEFAULTS.HISTORY_MAX_DELIVERIES,
    EVENTS_STREAM_MAX_LEN: DEFAULTS.EVENTS_STREAM_MAX_LEN,
    NOTIFY_TIMEOUT_MS: 2_000,
    NOTIFY_MAX_ATTEMPTS: 4,
    NOTIFY_BACKOFF_BASE_MS: 20,
    NOTIFY_BACKOFF_MAX_MS: 200,
    COMMIT_STATUS_MAX_REQUESTS_PER_HOUR: 1_000_000,
    ...overrides,
  };
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  await deleteKeysWithPrefix(redis, prefix);
}

export async function startTestRelay(rulesYaml: string, overrides: Partial<RelayConfig> = {}, env: Record<string, string> = {}): Promise<TestRelay> {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const fake = await startFakeQovery({ token: QOVERY_TOKEN });
  const rules = parseRules(rulesYaml, env);
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const relay = await startRelay(testConfig(prefix, fake.url, overrides), rules, logger);
  const redis = new Redis(inject('redisUrl'));
  const app = relay.app;

  return {
    relay,
    fake,
    prefix,
    redis,
    rules,
    async post(sourceName, body, headers = {}, options = {}) {
      if (!app) throw new Error('this relay has no API role');
      const source = rules.sources.find((s) => s.name === sourceName) as SourceConfig | undefined;
      const raw = options.raw ?? Buffer.from(JSON.stringify(body));
      const signed = source && !options.unsigned ? sign(source, raw) : { headers: {} as Record<string, string> };
      const token = options.pathToken ?? signed.pathToken;
      const response = await app.inject({
        method: 'POST',
        url: `/webhooks/${sourceName}${token !== undefined ? `/${token}` : ''}`,
        headers: { 'content-type': 'application/json', ...signed.headers, ...headers },
        payload: raw,
      });
      return { statusCode: response.statusCode, json: response.body ? response.json() : undefined };
    },
    async get(path, token = API_TOKEN) {
      if (!app) throw new Error('this relay has no API role');
      const response = await app.inject({ method: 'GET', url: path, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
      return { statusCode: response.statusCode, json: response.json() };
    },
    async close() {
      await relay.close(5_000);
      await fake.close();
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}

/** The deployment once it has reached `status`, read through the history API (10 s at most). */
export async function deploymentWhen(relay: TestRelay, id: string, status = 'succeeded'): Promise<any> {
  let deployment: any;
  await expect.poll(async () => ((deployment = (await relay.get(`/deployments/${id}`)).json), deployment.status), { timeout: 10_000 }).toBe(status);
  return deployment;
}
