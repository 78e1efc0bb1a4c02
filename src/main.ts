import { loadDotEnv, type Env } from './config/env.js';
import { ConfigError } from './config/errors.js';
import { loadConfig } from './config/load.js';
import { createRulesReloader } from './config/reload.js';
import { PRIVATE_REDIS_DIR, redisForRelay } from './redis/private-server.js';
import { createLogger } from './shared/logger.js';
import { REDACTED_PATHS } from './sources/registry.js';
import { startRelay } from './relay.js';
import type { Logger } from 'pino';

/** The first thing a relay says: whether it deploys, so a dry run is never mistaken for a live one. */
function announceMode(logger: Logger, env: Env): void {
  if (env.RELAY_ROLE === 'api') return; // the API never calls Qovery
  if (env.DEPLOY_MODE === 'live') {
    logger.info({ deployMode: 'live', qovery: env.QOVERY_API_URL }, 'live mode: deploy calls go to Qovery');
    return;
  }
  const why = env.QOVERY_API_TOKEN ? 'DEPLOY_MODE is dry-run' : 'no QOVERY_API_TOKEN is set';
  logger.warn(
    { deployMode: 'dry-run' },
    `dry-run mode (${why}): nothing is sent to Qovery; each deployment records what would have been sent. Set QOVERY_API_TOKEN and DEPLOY_MODE=live to deploy`,
  );
}

/** Composition root: config -> logger -> Redis -> relay (queue, worker, app) -> listen; shutdown. */
async function main(): Promise<void> {
  loadDotEnv();
  // Environment and rules are checked together, so one run lists every problem of both.
  const config = await loadConfig({ emptyCredentials: 'leave-out' });
  const { env, rules } = config;
  const logger = createLogger(env.LOG_LEVEL, REDACTED_PATHS);
  announceMode(logger, env);
  for (const warning of config.warnings) logger.warn({ path: config.rulesPath }, warning);
  const redis = await redisForRelay({ url: env.REDIS_URL, explicit: env.redisUrlExplicit, allInOne: env.RELAY_ROLE === 'all', dir: PRIVATE_REDIS_DIR, logger });
  const relay = await startRelay({ ...env, REDIS_URL: redis.url }, rules, logger).catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });

  const reloader = createRulesReloader({ path: config.rulesPath, read: config.rereadRules, apply: (next) => relay.rules.replace(next), logger });
  reloader.watch();
  process.on('SIGHUP', () => void reloader.reload('SIGHUP'));

  if (relay.app) await relay.app.listen({ port: env.PORT, host: env.HOST });
  // A worker-only process has no API port; Prometheus scrapes it here.
  const metricsAt = relay.metricsApp ? await relay.metricsApp.listen({ port: env.METRICS_PORT, host: env.HOST }) : undefined;
  logger.info(
    {
      role: env.RELAY_ROLE,
      deployMode: env.DEPLOY_MODE,
      port: relay.app ? env.PORT : undefined,
      ...(metricsAt && { metrics: `${metricsAt}/metrics` }),
      sources: rules.sources.map((s) => s.name),
    },
    'deploy-relay started',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, deadlineMs: env.SHUTDOWN_TIMEOUT_MS }, 'shutting down');
    reloader.close();
    // The deadline is enforced inside close; this timer is the last resort if something hangs.
    setTimeout(() => process.exit(1), env.SHUTDOWN_TIMEOUT_MS + 5_000).unref();
    void relay
      .close(env.SHUTDOWN_TIMEOUT_MS)
      .then(() => redis.stop())
      .then(() => {
        logger.info('stopped');
        logger.flush(() => process.exit(0));
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`deploy-relay: ${error.message}\n`);
  } else {
    process.stderr.write(`deploy-relay: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
