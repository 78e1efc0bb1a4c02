import { loadDotEnv, loadEnv } from './config/env.js';
import { ConfigError } from './config/errors.js';
import { createRulesReloader } from './config/reload.js';
import { loadRules } from './config/rules.js';
import { createLogger } from './shared/logger.js';
import { REDACTED_PATHS } from './sources/registry.js';
import { startRelay } from './relay.js';

/** Composition root: config -> logger -> rules -> relay (queue, worker, app) -> listen; shutdown. */
async function main(): Promise<void> {
  loadDotEnv();
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL, REDACTED_PATHS);
  const rules = await loadRules(env.RELAY_CONFIG, process.env);
  const relay = await startRelay(env, rules, logger);

  const reloader = createRulesReloader({ path: env.RELAY_CONFIG, env: process.env, apply: (next) => relay.rules.replace(next), logger });
  reloader.watch();
  process.on('SIGHUP', () => void reloader.reload('SIGHUP'));

  if (relay.app) await relay.app.listen({ port: env.PORT, host: env.HOST });
  // A worker-only process has no API port; Prometheus scrapes it here.
  const metricsAt = relay.metricsApp ? await relay.metricsApp.listen({ port: env.METRICS_PORT, host: env.HOST }) : undefined;
  logger.info(
    {
      role: env.RELAY_ROLE,
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
    void relay.close(env.SHUTDOWN_TIMEOUT_MS).then(() => {
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
