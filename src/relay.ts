import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, type Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from './redis/scripts.js';
import type { Logger } from 'pino';
import type { Env } from './config/env.js';
import type { Rules } from './config/rules.js';
import { createHistory, type History } from './history/history.js';
import { buildApp } from './http/app.js';
import { buildMetricsApp } from './http/metrics-route.js';
import { createIntake } from './intake/receive.js';
import { createRedrive } from './intake/redrive.js';
import { createMetrics, type RelayMetrics } from './metrics/registry.js';
import { createBudgetedQovery } from './qovery/budgeted.js';
import { createQoveryClient } from './qovery/client.js';
import { createDryRunQoveryClient } from './qovery/dry-run.js';
import { createQoveryBudget } from './qovery/rate-limit.js';
import { createRedis, logErrorsOnce, whenReady } from './redis/connection.js';
import { relayKeys, type RelayKeys } from './redis/keys.js';
import { redactRedisUrl } from './redis/url.js';
import { oldestWaitingMs, queueCounts } from './queue/depth.js';
import { DEPLOY_QUEUE, type DeployJobData } from './queue/jobs.js';
import { createDeployProducer } from './queue/producer.js';
import { createActiveRules, type ActiveRules } from './routing/active-rules.js';
import { createJobCoordination } from './worker/coordination.js';
import { createDeployPhase } from './worker/deploy-phase.js';
import { createFollowPhase } from './worker/follow-phase.js';
import { createFollowSet, type FollowSet } from './worker/follow-set.js';
import { createFollower } from './worker/follower.js';
import { createServiceEnvironments, type ServiceEnvironments } from './worker/service-environments.js';
import { createStatusEvents } from './intake/status-events.js';
import type { FollowPhase } from './worker/follow-phase.js';
import type { JobCoordination } from './worker/coordination.js';
import { createDeployProcessor } from './worker/processor.js';
import { createReconciler } from './worker/reconciler.js';
import { startDeployWorker } from './worker/worker.js';
import { createEventFeed, type EventFeed } from './events/feed.js';
import { createNotifyDispatcher } from './notify/dispatcher.js';
import { createNotifySender } from './notify/send.js';
import { startNotifyWorker } from './notify/worker.js';
import { NOTIFY_QUEUE, type NotifyJobData } from './queue/jobs.js';

export type RelayConfig = Pick<
  Env,
  | 'REDIS_URL'
  | 'RELAY_KEY_PREFIX'
  | 'RELAY_ROLE'
  | 'RELAY_API_TOKEN'
  | 'QOVERY_API_URL'
  | 'QOVERY_API_TOKEN'
  | 'DEPLOY_MODE'
  | 'QOVERY_REQUEST_TIMEOUT_MS'
  | 'DEPLOY_MAX_ATTEMPTS'
  | 'DEPLOY_BACKOFF_BASE_MS'
  | 'DEPLOY_BACKOFF_MAX_MS'
  | 'WORKER_CONCURRENCY'
  | 'WEBHOOK_BODY_LIMIT_BYTES'
  | 'RATE_LIMIT_MAX'
  | 'RATE_LIMIT_WINDOW_MS'
  | 'QOVERY_POLL_INTERVAL_MS'
  | 'QOVERY_SAFETY_POLL_INTERVAL_MS'
  | 'QOVERY_DEPLOY_TIMEOUT_MS'
  | 'QOVERY_MAX_REQUESTS_PER_HOUR'
  | 'WORKER_LOCK_MS'
  | 'TRUST_PROXY'
  | 'HTTP_REQUEST_TIMEOUT_MS'
  | 'HTTP_HEADERS_TIMEOUT_MS'
  | 'HTTP_KEEP_ALIVE_TIMEOUT_MS'
  | 'RECONCILE_INTERVAL_MS'
  | 'PRESSURE_MAX_EVENT_LOOP_DELAY_MS'
  | 'PRESSURE_MAX_HEAP_USED_BYTES'
  | 'PRESSURE_MAX_RSS_BYTES'
  | 'PRESSURE_RETRY_AFTER_S'
  | 'HISTORY_RETENTION_DAYS'
  | 'HISTORY_MAX_DELIVERIES'
  | 'EVENTS_STREAM_MAX_LEN'
  | 'RELAY_PUBLIC_URL'
  | 'NOTIFY_TIMEOUT_MS'
  | 'NOTIFY_MAX_ATTEMPTS'
  | 'NOTIFY_BACKOFF_BASE_MS'
  | 'NOTIFY_BACKOFF_MAX_MS'
  | 'COMMIT_STATUS_MAX_REQUESTS_PER_HOUR'
>;

export interface Relay {
  readonly app?: FastifyInstance;
  /** A worker-only process's HTTP surface (/metrics and health), for main.ts to listen on METRICS_PORT. */
  readonly metricsApp?: FastifyInstance;
  readonly worker?: Worker<DeployJobData>;
  readonly history: History;
  readonly rules: ActiveRules;
  /** Stops intake, lets in-flight jobs finish within the deadline, then closes the queue and Redis. */
  close(deadlineMs: number): Promise<void>;
}

function withDeadline(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise.catch(() => undefined), deadline]).finally(() => clearTimeout(timer));
}

function startWorkerSide(
  config: RelayConfig,
  deps: {
    history: History;
    logger: Logger;
    queue: Queue<DeployJobData>;
    producer: ReturnType<typeof createDeployProducer>;
    redis: RedisClient;
    keys: RelayKeys;
    metrics: RelayMetrics;
    followSet: FollowSet;
    environments: ServiceEnvironments;
    coordination: JobCoordination;
    phase: FollowPhase;
    rules: ActiveRules;
  },
) {
  const { history, logger } = deps;
  // A dry run gets a client that sends nothing, behind the same budget, so everything else runs as live.
  const client =
    config.DEPLOY_MODE === 'dry-run'
      ? createDryRunQoveryClient()
      : createQoveryClient({
          baseUrl: config.QOVERY_API_URL,
          token: config.QOVERY_API_TOKEN ?? '',
          timeoutMs: config.QOVERY_REQUEST_TIMEOUT_MS,
          metrics: deps.metrics,
        });
  const qovery = createBudgetedQovery(
    client,
    createQoveryBudget({ redis: deps.redis, key: deps.keys.qoveryBudget, perHour: config.QOVERY_MAX_REQUESTS_PER_HOUR }),
  );
  const { coordination } = deps;
  const backoff = { baseMs: config.DEPLOY_BACKOFF_BASE_MS, maxMs: config.DEPLOY_BACKOFF_MAX_MS };
  const deploy = createDeployPhase({
    history,
    coordination,
    qovery,
    policy: {
      maxAttempts: config.DEPLOY_MAX_ATTEMPTS,
      backoff,
      lockTtlMs: config.QOVERY_REQUEST_TIMEOUT_MS + 10_000,
    },
  });
  const follower = createFollower({
    history,
    followSet: deps.followSet,
    environments: deps.environments,
    phase: deps.phase,
    qovery,
    // A check holds its group for one Qovery call and a few Redis round trips; one that overruns
    // its lease is only read twice, which changes nothing.
    policy: {
      pollIntervalMs: config.QOVERY_POLL_INTERVAL_MS,
      safetyIntervalMs: config.QOVERY_SAFETY_POLL_INTERVAL_MS,
      leaseMs: config.QOVERY_REQUEST_TIMEOUT_MS + 5_000,
      concurrency: config.WORKER_CONCURRENCY,
    },
    logger,
    metrics: deps.metrics,
  });
  const workerConnection = createRedis(config.REDIS_URL, 'worker', logger);
  const worker = startDeployWorker({
    connection: workerConnection,
    history,
    logger,
    processor: createDeployProcessor({ history, deploy, follow: follower, logger }),
    options: { prefix: deps.keys.queuePrefix, concurrency: config.WORKER_CONCURRENCY, lockDurationMs: config.WORKER_LOCK_MS },
  });
  const reconciler = createReconciler({
    redis: deps.redis,
    keys: deps.keys,
    queue: deps.queue,
    producer: deps.producer,
    follower,
    logger,
    minAgeMs: Math.max(2 * config.WORKER_LOCK_MS, 2 * config.QOVERY_POLL_INTERVAL_MS),
  });
  const timer = setInterval(
    () => void reconciler.runOnce().catch((err: unknown) => logger.warn({ err }, 'reconciler pass failed')),
    config.RECONCILE_INTERVAL_MS,
  );
  timer.unref();
  follower.start();
  const notifications = startNotifications(config, deps);
  return {
    worker,
    async close(deadlineMs: number) {
      clearInterval(timer);
      const until = Date.now() + deadlineMs;
      await withDeadline(Promise.all([worker.close(), follower.stop(), notifications.close()]), deadlineMs);
      // A job still running past the deadline is left to stalled-job recovery; with Redis gone even
      // the forced close can wait on a reconnect, so it gets what is left of the deadline too.
      await withDeadline(worker.close(true), Math.max(100, until - Date.now()));
      workerConnection.disconnect();
    },
  };
}

/** Notifications and commit statuses: the events stream read in a consumer group, sent from a queue of their own. */
function startNotifications(
  config: RelayConfig,
  deps: { history: History; logger: Logger; redis: RedisClient; keys: RelayKeys; metrics: RelayMetrics; rules: ActiveRules },
) {
  const { history, logger, keys } = deps;
  const connection = createRedis(config.REDIS_URL, 'worker', logger);
  const queue = new Queue<NotifyJobData>(NOTIFY_QUEUE, { connection, prefix: keys.queuePrefix });
  queue.on('error', logErrorsOnce(logger, 'notification queue error', connection));
  const policy = { maxAttempts: config.NOTIFY_MAX_ATTEMPTS, baseMs: config.NOTIFY_BACKOFF_BASE_MS, maxMs: config.NOTIFY_BACKOFF_MAX_MS };
  const dispatcher = createNotifyDispatcher({
    redis: deps.redis,
    openReader: () => createRedis(config.REDIS_URL, 'events', logger),
    key: keys.events,
    consumer: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    queue,
    history,
    rules: deps.rules,
    maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
    logger,
  });
  // Each git host token has its own bucket, shared by every worker, like the Qovery budget.
  const budgets = new Map<string, ReturnType<typeof createQoveryBudget>>();
  const budgetFor = (hostKey: string) => {
    let budget = budgets.get(hostKey);
    if (!budget) {
      budget = createQoveryBudget({ redis: deps.redis, key: keys.commitStatusBudget(hostKey), perHour: config.COMMIT_STATUS_MAX_REQUESTS_PER_HOUR });
      budgets.set(hostKey, budget);
    }
    return { take: () => budget.take('deploy') };
  };
  const worker = startNotifyWorker({
    connection,
    prefix: keys.queuePrefix,
    sender: createNotifySender({ history, rules: deps.rules, publicUrl: config.RELAY_PUBLIC_URL, timeoutMs: config.NOTIFY_TIMEOUT_MS, budgetFor }),
    history,
    policy,
    concurrency: 4,
    logger,
    metrics: deps.metrics,
  });
  return {
    async close(): Promise<void> {
      await dispatcher.stop();
      await worker.close();
      await queue.close();
      connection.disconnect();
    },
  };
}

/** Wires one relay process for its role; main.ts and the integration tests both start it this way. */
export async function startRelay(config: RelayConfig, rules: Rules, logger: Logger): Promise<Relay> {
  const redis = createRedis(config.REDIS_URL, 'history', logger);
  const producerRedis = createRedis(config.REDIS_URL, 'producer', logger);
  const keys = relayKeys(config.RELAY_KEY_PREFIX);
  const queue = new Queue<DeployJobData>(DEPLOY_QUEUE, { connection: producerRedis, prefix: keys.queuePrefix });
  queue.on('error', logErrorsOnce(logger, 'queue connection error', producerRedis));
  const runsWorker = config.RELAY_ROLE !== 'api';
  // Scrapes read on the producer's connection, which fails fast: with Redis down a scrape leaves
  // those series out at once rather than waiting out reconnects.
  const budgetView = createQoveryBudget({ redis: producerRedis, key: keys.qoveryBudget, perHour: config.QOVERY_MAX_REQUESTS_PER_HOUR });
  // A request id leads a webhook to its deployment for as long as the deployment can be followed.
  const followSet = createFollowSet({ redis, keys, requestTtlMs: config.QOVERY_DEPLOY_TIMEOUT_MS + 3_600_000 });
  const followView = createFollowSet({ redis: producerRedis, keys });
  const metrics = createMetrics({
    queueCounts: () => queueCounts(queue),
    oldestWaitingMs: () => oldestWaitingMs(queue),
    ...(runsWorker && { qoveryBudgetLeft: () => budgetView.left(), followDue: () => followView.dueCount(Date.now()) }),
  });
  const history = createHistory({
    redis,
    keys,
    logger,
    metrics,
    retention: { days: config.HISTORY_RETENTION_DAYS, maxDeliveries: config.HISTORY_MAX_DELIVERIES },
    eventsMaxLen: config.EVENTS_STREAM_MAX_LEN,
  });
  const producer = createDeployProducer({ queue });
  const coordination = createJobCoordination({ redis, keys });
  const environments = createServiceEnvironments({ redis, keys });
  const phase = createFollowPhase({
    history,
    coordination,
    policy: { pollIntervalMs: config.QOVERY_POLL_INTERVAL_MS, deployTimeoutMs: config.QOVERY_DEPLOY_TIMEOUT_MS },
  });
  if (!(await whenReady(producerRedis, 5_000)))
    logger.warn({ redis: redactRedisUrl(config.REDIS_URL) }, 'Redis does not answer yet; webhooks get 503 until it does');
  const activeRules = createActiveRules(rules);
  const isRedisReady = async () => (await producerRedis.ping()) === 'PONG';

  let app: FastifyInstance | undefined;
  let feed: EventFeed | undefined;
  if (config.RELAY_ROLE !== 'worker') {
    feed = createEventFeed({ redis, key: keys.events, logger, openReader: () => createRedis(config.REDIS_URL, 'events', logger) });
    const statusEvents = createStatusEvents({ history, followSet, environments, phase, safetyIntervalMs: config.QOVERY_SAFETY_POLL_INTERVAL_MS });
    const intake = createIntake({ history, redis: producerRedis, rules: activeRules, logger, metrics, statusEvents });
    app = await buildApp({
      logger,
      intake,
      redrive: createRedrive({ history, rules: activeRules }),
      history,
      rules: activeRules,
      feed,
      isReady: isRedisReady,
      storeAvailable: () => redis.status === 'ready',
      apiToken: config.RELAY_API_TOKEN,
      bodyLimit: config.WEBHOOK_BODY_LIMIT_BYTES,
      server: {
        trustProxy: config.TRUST_PROXY,
        requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
        headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
        keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      },
      rateLimit: { max: config.RATE_LIMIT_MAX, timeWindow: config.RATE_LIMIT_WINDOW_MS, redis: producerRedis, nameSpace: keys.rateLimitNamespace },
      metrics: { registry: metrics.registry, webhooks: metrics },
      pressure: {
        maxEventLoopDelayMs: config.PRESSURE_MAX_EVENT_LOOP_DELAY_MS,
        maxHeapUsedBytes: config.PRESSURE_MAX_HEAP_USED_BYTES,
        maxRssBytes: config.PRESSURE_MAX_RSS_BYTES,
        retryAfterS: config.PRESSURE_RETRY_AFTER_S,
      },
    });
  }
  const workerSide = runsWorker
    ? startWorkerSide(config, { history, logger, queue, producer, redis, keys, metrics, followSet, environments, coordination, phase, rules: activeRules })
    : undefined;
  const metricsApp = app ? undefined : buildMetricsApp({ logger, registry: metrics.registry, isReady: isRedisReady });

  return {
    ...(app && { app }),
    ...(metricsApp && { metricsApp }),
    ...(workerSide && { worker: workerSide.worker }),
    history,
    rules: activeRules,
    async close(deadlineMs) {
      const started = Date.now();
      if (app) await withDeadline(app.close(), deadlineMs);
      await feed?.close();
      if (metricsApp) await withDeadline(metricsApp.close(), deadlineMs);
      if (workerSide) await workerSide.close(Math.max(0, deadlineMs - (Date.now() - started)));
      await withDeadline(queue.close(), Math.max(100, deadlineMs - (Date.now() - started)));
      producerRedis.disconnect();
      redis.disconnect();
    },
  };
}
