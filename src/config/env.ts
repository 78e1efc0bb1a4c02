import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { HASH_TAGGED, parseRedisUrl } from '../redis/url.js';
import { ConfigError, formatIssues } from './errors.js';

const intFrom = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

/** Empty strings count as unset, so `FOO=` in an .env file falls back to the default. */
function withoutEmpty(source: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(source).filter((entry): entry is [string, string] => !!entry[1]));
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * Which proxies' X-Forwarded-For to believe: none by default (a client could otherwise pick its
 * own address, and so its rate limit); `true` for all; a hop count; or addresses and CIDR ranges.
 */
const trustProxy = z
  .string()
  .default('false')
  .transform((value, ctx): boolean | number | string[] => {
    if (value === 'false') return false;
    if (value === 'true') return true;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((entry) => entry.trim());
    const wrong = entries.filter((entry) => !isAddressOrRange(entry));
    if (wrong.length > 0) {
      ctx.addIssue({ code: 'custom', message: `not an address, CIDR range, hop count, true or false: ${wrong.join(', ')}` });
      return z.NEVER;
    }
    return entries;
  });

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Each variable's schema; readable one by one, so the rules file can be found even when others are wrong. */
const fields = {
  PORT: intFrom(8080, 0).pipe(z.number().max(65535)),
  HOST: z.string().default('0.0.0.0'),
  REDIS_URL: z
    .string()
    .default(DEFAULT_REDIS_URL)
    .superRefine((url, ctx) => {
      const target = parseRedisUrl(url);
      if (typeof target === 'string') ctx.addIssue({ code: 'custom', message: target });
    }),
  RELAY_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}.-]+$/, 'letters, digits, "_", "-", ".", and "{}" for a Redis Cluster hash tag')
    .default('relay'),
  RELAY_CONFIG: z.string().default('./relay.config.yaml'),
  RELAY_ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  RELAY_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  QOVERY_API_URL: z.string().url().default('https://api.qovery.com'),
  QOVERY_API_TOKEN: z.string().min(1).optional(),
  /** Unset: live with a Qovery token, dry-run without one (resolved below, after parsing). */
  DEPLOY_MODE: z.enum(['live', 'dry-run']).optional(),
  QOVERY_REQUEST_TIMEOUT_MS: intFrom(15_000, 100),
  DEPLOY_MAX_ATTEMPTS: intFrom(8, 1),
  DEPLOY_BACKOFF_BASE_MS: intFrom(1_000, 0),
  DEPLOY_BACKOFF_MAX_MS: intFrom(60_000, 0),
  QOVERY_POLL_INTERVAL_MS: intFrom(10_000, 100),
  /** While Qovery's webhooks report on an environment, its polling is only a safety net. */
  QOVERY_SAFETY_POLL_INTERVAL_MS: intFrom(300_000, 100),
  QOVERY_DEPLOY_TIMEOUT_MS: intFrom(3_600_000, 1_000),
  QOVERY_MAX_REQUESTS_PER_HOUR: intFrom(1_000, 1),
  WORKER_CONCURRENCY: intFrom(16, 1),
  WORKER_LOCK_MS: intFrom(30_000, 1_000),
  RECONCILE_INTERVAL_MS: intFrom(60_000, 1_000),
  TRUST_PROXY: trustProxy,
  /** Slow clients are cut off: the whole request, its headers, and an idle kept-alive connection. */
  HTTP_REQUEST_TIMEOUT_MS: intFrom(30_000, 100),
  HTTP_HEADERS_TIMEOUT_MS: intFrom(10_000, 100),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: intFrom(72_000, 100),
  WEBHOOK_BODY_LIMIT_BYTES: intFrom(5 * 1024 * 1024, 1024),
  RATE_LIMIT_MAX: intFrom(600, 1),
  RATE_LIMIT_WINDOW_MS: intFrom(60_000, 1000),
  SHUTDOWN_TIMEOUT_MS: intFrom(25_000, 100),
  /** Where a worker-only process serves /metrics; API processes serve it on PORT. */
  METRICS_PORT: intFrom(9464, 0).pipe(z.number().max(65535)),
  // Back-pressure: above any of these the API answers 503 RELAY_OVERLOADED. 0 turns a check off.
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: intFrom(1_000, 0),
  PRESSURE_MAX_HEAP_USED_BYTES: intFrom(0, 0),
  PRESSURE_MAX_RSS_BYTES: intFrom(0, 0),
  PRESSURE_RETRY_AFTER_S: intFrom(10, 1),
  // Redis runs noeviction, so the history must bound itself: see "Retention" in the README.
  HISTORY_RETENTION_DAYS: intFrom(30, 1),
  HISTORY_MAX_DELIVERIES: intFrom(1_000_000, 1),
  EVENTS_STREAM_MAX_LEN: intFrom(10_000, 100),
  /** Where users reach the relay (its dashboard): notifications and commit statuses link there. */
  RELAY_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  // Notifications and commit statuses: see "Notifications" in the README.
  NOTIFY_TIMEOUT_MS: intFrom(10_000, 100),
  NOTIFY_MAX_ATTEMPTS: intFrom(8, 1),
  NOTIFY_BACKOFF_BASE_MS: intFrom(2_000, 10),
  NOTIFY_BACKOFF_MAX_MS: intFrom(600_000, 10),
  COMMIT_STATUS_MAX_REQUESTS_PER_HOUR: intFrom(1_000, 1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
} as const;

export type DeployMode = 'live' | 'dry-run';

/** A relay with no Qovery token cannot deploy, so unless told otherwise it shows what it would do. */
function resolveDeployMode(mode: DeployMode | undefined, token: string | undefined): DeployMode {
  return mode ?? (token ? 'live' : 'dry-run');
}

const envSchema = z
  .object(fields)
  .superRefine(
    (env, ctx) => {
      if (env.RELAY_ROLE !== 'api' && env.DEPLOY_MODE === 'live' && !env.QOVERY_API_TOKEN) {
        ctx.addIssue({
          code: 'custom',
          path: ['QOVERY_API_TOKEN'],
          message: `required when DEPLOY_MODE is "live" and RELAY_ROLE is "${env.RELAY_ROLE}" (the worker calls the Qovery API); without DEPLOY_MODE the relay runs dry`,
        });
      }
      if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
        ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: 'must be <= HTTP_REQUEST_TIMEOUT_MS' });
      }
      if (env.REDIS_URL.startsWith('redis+cluster://') && !HASH_TAGGED.test(env.RELAY_KEY_PREFIX)) {
        const message = 'with Redis Cluster it must hold a hash tag, such as {relay}: every script touches several keys, which must share a slot';
        ctx.addIssue({ code: 'custom', path: ['RELAY_KEY_PREFIX'], message });
      }
      if (env.NOTIFY_BACKOFF_MAX_MS < env.NOTIFY_BACKOFF_BASE_MS) {
        ctx.addIssue({ code: 'custom', path: ['NOTIFY_BACKOFF_MAX_MS'], message: 'must be >= NOTIFY_BACKOFF_BASE_MS' });
      }
      if (env.DEPLOY_BACKOFF_MAX_MS < env.DEPLOY_BACKOFF_BASE_MS) {
        ctx.addIssue({ code: 'custom', path: ['DEPLOY_BACKOFF_MAX_MS'], message: 'must be >= DEPLOY_BACKOFF_BASE_MS' });
      }
    },
    // Zod skips refinements once any field is invalid; run them anyway so one error lists every
    // problem. A field that failed holds its raw value here (an unreadable number is NaN, and NaN
    // compares false), so these checks stay safe on partial input.
    { when: () => true },
  )
  .transform((env) => ({ ...env, DEPLOY_MODE: resolveDeployMode(env.DEPLOY_MODE, env.QOVERY_API_TOKEN) }));

export type Env = Readonly<
  z.infer<typeof envSchema> & {
    /** Whether REDIS_URL was set: only the default address may be replaced by a private redis-server. */
    readonly redisUrlExplicit: boolean;
  }
>;

export type EnvReading = { readonly env: Env; readonly problems?: undefined } | { readonly env?: undefined; readonly problems: readonly string[] };

/**
 * Reads `.env` from the working directory when there is one. Variables already set in the
 * environment win, so a deployment platform's settings are never overridden by a stray file.
 */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** Reads the environment, returning every problem as a value rather than throwing. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): EnvReading {
  const set = withoutEmpty(source);
  const parsed = envSchema.safeParse(set);
  if (!parsed.success) return { problems: formatIssues(parsed.error) };
  return { env: Object.freeze({ ...parsed.data, redisUrlExplicit: set.REDIS_URL !== undefined }) };
}

/** The only place that reads process.env: everything else receives the frozen result. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const reading = readEnv(source);
  if (!reading.env) throw new ConfigError('Invalid environment', reading.problems);
  return reading.env;
}

/**
 * Where the rules file is and which mode applies, read on their own: with other variables wrong,
 * the rules file is still checked, so one run lists the problems of both.
 */
export function rulesInputs(source: NodeJS.ProcessEnv = process.env): { readonly path: string; readonly mode: DeployMode } {
  const set = withoutEmpty(source);
  const path = fields.RELAY_CONFIG.safeParse(set.RELAY_CONFIG);
  const mode = fields.DEPLOY_MODE.safeParse(set.DEPLOY_MODE);
  const token = fields.QOVERY_API_TOKEN.safeParse(set.QOVERY_API_TOKEN);
  return {
    path: path.success ? path.data : './relay.config.yaml',
    // An unreadable DEPLOY_MODE is reported with the environment; the stricter mode checks the rules meanwhile.
    mode: mode.success ? resolveDeployMode(mode.data, token.success ? token.data : undefined) : 'live',
  };
}
