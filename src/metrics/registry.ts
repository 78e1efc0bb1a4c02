import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Readers the scrape calls: a few cheap Redis reads per scrape, nothing per webhook. */
export interface ScrapeReaders {
  /** Deploy jobs by queue state. */
  readonly queueCounts: () => Promise<Readonly<Record<string, number>>>;
  /** How long the oldest due job has waited for a worker; 0 when none waits. */
  readonly oldestWaitingMs: () => Promise<number>;
  /** Calls left in the shared Qovery budget; only where a worker runs. */
  readonly qoveryBudgetLeft?: () => Promise<number>;
  /** Following checks due now and not yet made; only where a worker runs. */
  readonly followDue?: () => Promise<number>;
}

export type QoveryEndpoint = 'deploy' | 'status' | 'cancel' | 'lookup';

const SECONDS_FAST = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const SECONDS_TO_CALL = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const SECONDS_TO_END = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

/**
 * One prom-client registry per relay, never the library's global one: the tests start many relays
 * in one process, and each must count only its own work. Every metric the relay exposes is
 * declared here, so the README's list has one place to be checked against.
 */
export function createMetrics(readers: ScrapeReaders) {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const webhooks = new Counter({
    name: 'relay_webhooks_total',
    help: 'Webhook requests answered, by source and outcome',
    labelNames: ['source', 'outcome'],
    registers,
  });
  const authFailures = new Counter({
    name: 'relay_webhook_auth_failures_total',
    help: 'Webhook requests refused for a bad or missing signature or token',
    labelNames: ['source'],
    registers,
  });
  const enqueueSeconds = new Histogram({
    name: 'relay_enqueue_duration_seconds',
    help: 'Time to store a delivery and enqueue its deploy jobs in Redis',
    buckets: SECONDS_FAST,
    registers,
  });
  const qoveryRequests = new Counter({
    name: 'relay_qovery_requests_total',
    help: 'Calls to the Qovery API, by endpoint and HTTP status (or timeout, network)',
    labelNames: ['endpoint', 'status'],
    registers,
  });
  const retries = new Counter({ name: 'relay_deploy_retries_total', help: 'Deploy calls scheduled for another attempt', registers });
  const finished = new Counter({
    name: 'relay_deployments_finished_total',
    help: 'Deployments that reached a final status, by that status',
    labelNames: ['status'],
    registers,
  });
  const toDeployCall = new Histogram({
    name: 'relay_webhook_to_deploy_call_seconds',
    help: "From a deployment's webhook to its first deploy call to Qovery",
    buckets: SECONDS_TO_CALL,
    registers,
  });
  const toFinalStatus = new Histogram({
    name: 'relay_webhook_to_final_status_seconds',
    help: "From a deployment's webhook to its final status, by that status",
    labelNames: ['status'],
    buckets: SECONDS_TO_END,
    registers,
  });
  const followChecks = new Counter({
    name: 'relay_follow_checks_total',
    help: 'Status reads made while following: one per environment (GET /environment/{id}/statuses) or per service read alone',
    labelNames: ['kind'],
    registers,
  });
  const followCovered = new Counter({
    name: 'relay_follow_deployments_checked_total',
    help: 'Deployments whose status those reads covered',
    labelNames: ['kind'],
    registers,
  });
  const followLateness = new Histogram({
    name: 'relay_follow_check_lateness_seconds',
    help: 'How long after it was due each following check was made; it grows when the Qovery budget is short',
    buckets: SECONDS_TO_CALL,
    registers,
  });
  const notifications = new Counter({
    name: 'relay_notifications_total',
    help: 'Attempts to send a notification or set a commit status, by kind (slack, webhook, commit-status) and result (sent, retrying, failed, skipped)',
    labelNames: ['kind', 'result'],
    registers,
  });
  registerScrapeGauges(registers, readers);

  return {
    registry,
    webhookAnswered(source: string, outcome: string): void {
      webhooks.inc({ source, outcome });
      // Counted on its own too, so an alert on forged or misconfigured senders needs no label filter.
      if (outcome === 'unauthorized') authFailures.inc({ source });
    },
    enqueued(seconds: number): void {
      enqueueSeconds.observe(seconds);
    },
    qoveryCalled(endpoint: QoveryEndpoint, status: string): void {
      qoveryRequests.inc({ endpoint, status });
    },
    deployRetried(): void {
      retries.inc();
    },
    firstDeployCall(secondsSinceWebhook: number): void {
      toDeployCall.observe(secondsSinceWebhook);
    },
    followChecked(kind: 'environment' | 'service', latenessSeconds: number, deployments: number): void {
      followChecks.inc({ kind });
      followCovered.inc({ kind }, deployments);
      followLateness.observe(Math.max(0, latenessSeconds));
    },
    notificationAttempted(kind: string, result: string): void {
      notifications.inc({ kind, result });
    },
    deploymentFinished(status: string, secondsSinceWebhook: number): void {
      finished.inc({ status });
      toFinalStatus.observe({ status }, secondsSinceWebhook);
    },
  };
}

/**
 * Gauges computed when Prometheus scrapes. A reader that fails (Redis down) leaves its series out
 * of that scrape rather than failing the whole page or repeating a stale value.
 */
function registerScrapeGauges(registers: Registry[], readers: ScrapeReaders): void {
  new Gauge({
    name: 'relay_queue_depth',
    help: 'Deploy jobs in the queue, by state',
    labelNames: ['state'],
    registers,
    async collect() {
      this.reset();
      const counts = await readers.queueCounts().catch(() => ({}));
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'relay_queue_oldest_waiting_seconds',
    help: 'How long the oldest due deploy job has waited for a worker (0 when none waits)',
    registers,
    async collect() {
      this.reset();
      const ms = await readers.oldestWaitingMs().catch(() => undefined);
      if (ms !== undefined) this.set(ms / 1000);
    },
  });
  const followDue = readers.followDue;
  if (followDue) {
    new Gauge({
      name: 'relay_follow_due',
      help: 'Following checks (environments, or services read alone) due now and not yet made',
      registers,
      async collect() {
        this.reset();
        const due = await followDue().catch(() => undefined);
        if (due !== undefined) this.set(due);
      },
    });
  }
  const budgetLeft = readers.qoveryBudgetLeft;
  if (!budgetLeft) return;
  new Gauge({
    name: 'relay_qovery_budget_remaining',
    help: 'Calls left in the shared Qovery budget bucket right now (it refills continuously)',
    registers,
    async collect() {
      this.reset();
      const left = await budgetLeft().catch(() => undefined);
      if (left !== undefined) this.set(left);
    },
  });
}

export type RelayMetrics = ReturnType<typeof createMetrics>;
/** What the webhook routes count. */
export type WebhookMetrics = Pick<RelayMetrics, 'webhookAnswered'>;
/** What intake times. */
export type IntakeMetrics = Pick<RelayMetrics, 'enqueued'>;
/** What the Qovery client counts. */
export type QoveryMetrics = Pick<RelayMetrics, 'qoveryCalled'>;

/** What the notification worker counts. */
export type NotificationMetrics = Pick<RelayMetrics, 'notificationAttempted'>;

export type FollowMetrics = Pick<RelayMetrics, 'followChecked'>;
/** What the history's transitions feed. */
export type DeploymentMetrics = Pick<RelayMetrics, 'deployRetried' | 'firstDeployCall' | 'deploymentFinished'>;
