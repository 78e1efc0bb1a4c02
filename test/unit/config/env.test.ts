import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../../src/config/env.js';
import { ConfigError } from '../../../src/config/errors.js';

const TOKEN = { QOVERY_API_TOKEN: 'qov-token' };

/** Runs loadEnv expecting a ConfigError, and returns its problems. */
function problemsOf(source: Record<string, string>): readonly string[] {
  try {
    loadEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('loadEnv accepted an environment it should refuse');
}

describe('loadEnv', () => {
  it('fills every documented default when only the Qovery token is set', () => {
    expect(loadEnv(TOKEN)).toMatchObject({
      PORT: 8080,
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://127.0.0.1:6379',
      RELAY_KEY_PREFIX: 'relay',
      RELAY_ROLE: 'all',
      QOVERY_API_URL: 'https://api.qovery.com',
      QOVERY_API_TOKEN: 'qov-token',
      DEPLOY_MAX_ATTEMPTS: 8,
      DEPLOY_BACKOFF_BASE_MS: 1000,
      DEPLOY_BACKOFF_MAX_MS: 60000,
      LOG_LEVEL: 'info',
      QOVERY_POLL_INTERVAL_MS: 10000,
      QOVERY_SAFETY_POLL_INTERVAL_MS: 300000,
      QOVERY_DEPLOY_TIMEOUT_MS: 3600000,
      QOVERY_MAX_REQUESTS_PER_HOUR: 1000,
      HISTORY_RETENTION_DAYS: 30,
      HISTORY_MAX_DELIVERIES: 1_000_000,
    });
  });

  it('defaults the metrics port and the back-pressure thresholds as the README documents them', () => {
    expect(loadEnv(TOKEN)).toMatchObject({
      METRICS_PORT: 9464,
      PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 1000,
      PRESSURE_MAX_HEAP_USED_BYTES: 0,
      PRESSURE_MAX_RSS_BYTES: 0,
      PRESSURE_RETRY_AFTER_S: 10,
    });
    expect(problemsOf({ ...TOKEN, METRICS_PORT: '70000', PRESSURE_RETRY_AFTER_S: '0' })).toHaveLength(2);
  });

  it('refuses a retention under a day and a delivery cap under one', () => {
    const problems = problemsOf({ ...TOKEN, HISTORY_RETENTION_DAYS: '0', HISTORY_MAX_DELIVERIES: '0' });
    expect(problems.some((p) => p.includes('HISTORY_RETENTION_DAYS'))).toBe(true);
    expect(problems.some((p) => p.includes('HISTORY_MAX_DELIVERIES'))).toBe(true);
  });

  it('reads numbers from their string form', () => {
    const env = loadEnv({ ...TOKEN, PORT: '3000', DEPLOY_MAX_ATTEMPTS: '3', RELAY_ROLE: 'worker', LOG_LEVEL: 'debug' });
    expect(env).toMatchObject({ PORT: 3000, DEPLOY_MAX_ATTEMPTS: 3, RELAY_ROLE: 'worker', LOG_LEVEL: 'debug' });
  });

  it('requires QOVERY_API_TOKEN in live mode for the worker and all roles, naming the role', () => {
    expect(problemsOf({ DEPLOY_MODE: 'live', RELAY_ROLE: 'worker' })).toEqual([
      expect.stringMatching(/^QOVERY_API_TOKEN: required when DEPLOY_MODE is "live" and RELAY_ROLE is "worker"/),
    ]);
    expect(problemsOf({ DEPLOY_MODE: 'live' })).toEqual([
      expect.stringMatching(/^QOVERY_API_TOKEN: required when DEPLOY_MODE is "live" and RELAY_ROLE is "all"/),
    ]);
  });

  it('runs dry without a Qovery token unless DEPLOY_MODE says live, and live with one', () => {
    expect(loadEnv({}).DEPLOY_MODE).toBe('dry-run');
    expect(loadEnv({ RELAY_ROLE: 'worker' }).DEPLOY_MODE).toBe('dry-run');
    expect(loadEnv(TOKEN).DEPLOY_MODE).toBe('live');
    expect(loadEnv({ ...TOKEN, DEPLOY_MODE: 'dry-run' }).DEPLOY_MODE).toBe('dry-run');
    expect(problemsOf({ DEPLOY_MODE: 'test' })).toEqual([expect.stringMatching(/^DEPLOY_MODE: /)]);
  });

  it('tells whether REDIS_URL was set, since only the default address may get a private redis-server', () => {
    expect(loadEnv({}).redisUrlExplicit).toBe(false);
    expect(loadEnv({ REDIS_URL: '' }).redisUrlExplicit).toBe(false);
    expect(loadEnv({ REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrlExplicit).toBe(true);
  });

  it('does not require QOVERY_API_TOKEN for the api role, which never calls Qovery', () => {
    const env = loadEnv({ RELAY_ROLE: 'api' });
    expect(env.RELAY_ROLE).toBe('api');
    expect(env.QOVERY_API_TOKEN).toBeUndefined();
  });

  it('lists every problem in one ConfigError, even when some variables cannot be read at all', () => {
    const problems = problemsOf({ DEPLOY_MODE: 'live', PORT: 'eighty', RELAY_ROLE: 'both', LOG_LEVEL: 'loud' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^RELAY_ROLE: /),
        expect.stringMatching(/^LOG_LEVEL: /),
        expect.stringMatching(/^QOVERY_API_TOKEN: required/),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('reports a backoff maximum below the base alongside an unreadable variable', () => {
    const problems = problemsOf({ ...TOKEN, DEPLOY_BACKOFF_BASE_MS: '5000', DEPLOY_BACKOFF_MAX_MS: '100', PORT: 'x' });
    expect(problems).toEqual([expect.stringMatching(/^PORT: /), 'DEPLOY_BACKOFF_MAX_MS: must be >= DEPLOY_BACKOFF_BASE_MS']);
  });

  it('puts every problem in the error message, one per line', () => {
    expect(() => loadEnv({ DEPLOY_MODE: 'live', PORT: '70000', RELAY_API_TOKEN: 'short' })).toThrow(
      /Invalid environment:\n {2}- PORT: .*\n {2}- RELAY_API_TOKEN: must be at least 16 characters\n {2}- QOVERY_API_TOKEN: required/,
    );
  });

  it('refuses values out of range', () => {
    expect(problemsOf({ ...TOKEN, PORT: '65536' })).toEqual([expect.stringMatching(/^PORT: /)]);
    expect(problemsOf({ ...TOKEN, DEPLOY_MAX_ATTEMPTS: '0' })).toEqual([expect.stringMatching(/^DEPLOY_MAX_ATTEMPTS: /)]);
    expect(problemsOf({ ...TOKEN, QOVERY_POLL_INTERVAL_MS: '1.5' })).toEqual([expect.stringMatching(/^QOVERY_POLL_INTERVAL_MS: /)]);
    expect(problemsOf({ ...TOKEN, REDIS_URL: 'not a url' })).toEqual([expect.stringMatching(/^REDIS_URL: /)]);
    expect(problemsOf({ ...TOKEN, RELAY_KEY_PREFIX: 'a b' })).toEqual([expect.stringMatching(/^RELAY_KEY_PREFIX: letters, digits/)]);
  });

  it('accepts a Redis Cluster hash tag as the key prefix', () => {
    expect(loadEnv({ ...TOKEN, RELAY_KEY_PREFIX: '{relay}' }).RELAY_KEY_PREFIX).toBe('{relay}');
  });

  it('treats empty strings as unset, so FOO= in an .env file falls back to the default', () => {
    const env = loadEnv({ ...TOKEN, PORT: '', HOST: '', RELAY_ROLE: '', LOG_LEVEL: '', DEPLOY_MAX_ATTEMPTS: '' });
    expect(env).toMatchObject({ PORT: 8080, HOST: '0.0.0.0', RELAY_ROLE: 'all', LOG_LEVEL: 'info', DEPLOY_MAX_ATTEMPTS: 8 });
  });

  it('treats an empty QOVERY_API_TOKEN as missing', () => {
    expect(problemsOf({ DEPLOY_MODE: 'live', QOVERY_API_TOKEN: '' })).toEqual([expect.stringMatching(/^QOVERY_API_TOKEN: required/)]);
  });

  it('ignores variables it does not know', () => {
    expect(loadEnv({ ...TOKEN, PATH: '/usr/bin', HOME: '/root' })).not.toHaveProperty('PATH');
  });

  it('returns a frozen value', () => {
    const env = loadEnv(TOKEN);
    expect(Object.isFrozen(env)).toBe(true);
    expect(() => {
      (env as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });
});
