import type { Logger } from 'pino';
import type { RelayKeys } from '../redis/keys.js';
import { luaScript, type RedisClient } from '../redis/scripts.js';
import { DELIVERY_OUTCOMES, DEPLOYMENT_STATUSES, type DeliveryOutcome } from './model.js';
import { TRIM } from './scripts.js';

const DAY_MS = 24 * 3600 * 1000;

export interface Retention {
  /** Days a delivery, a deployment (from its last change) and their index entries are kept. */
  readonly days: number;
  /** Most deliveries kept: past it the oldest are deleted first. */
  readonly maxDeliveries: number;
  /** One write in this many trims the indexes it touched; the others only add. */
  readonly trimEvery?: number;
}

/**
 * How long a delivery of each outcome is kept, at most the retention. An ignored delivery answers
 * "why did nothing deploy?", a question asked within days of a push, and is most of the traffic of
 * a busy repository with one deployed branch. A duplicate says only that a provider retried (its
 * original keeps the content and the deployments), and a replay flood is made of them.
 */
const OUTCOME_KEEP_MS: Readonly<Record<DeliveryOutcome, number>> = { accepted: Infinity, ignored: 7 * DAY_MS, duplicate: DAY_MS };

/**
 * Trimming every 50th write at up to 200 members per index removes four times what 50 writes
 * add, so steady state stays flat and a backlog drains, while 49 webhooks in 50 pay nothing.
 */
const TRIM_EVERY = 50;
const TRIM_LIMIT = 200;
/** Pending members checked at each end of a job's pending set for a deployment that expired. */
const PENDING_ENDS = 8;

const trimScript = luaScript(TRIM);

/** What a write touched beyond the global indexes, so the trim after it visits those too. */
export interface Touched {
  readonly source: string;
  /** The services' lanes (`laneOf`): their deployment index and pending set. */
  readonly lanes?: readonly string[];
  readonly routes?: readonly string[];
}

export function createRetention(deps: { keys: RelayKeys; retention: Retention; now: () => Date; logger?: Logger | undefined }) {
  const { keys, retention } = deps;
  const keepMs = retention.days * DAY_MS;
  const trimEvery = retention.trimEvery ?? TRIM_EVERY;
  const keepOf = (outcome: DeliveryOutcome) => Math.min(keepMs, OUTCOME_KEEP_MS[outcome]);
  const around = (key: string) => key.split('\n');
  let writes = 0;

  async function trim(redis: RedisClient, touched: Touched): Promise<{ trimmed: number; capped: number }> {
    const nowMs = deps.now().getTime();
    const lanes = [...new Set(touched.lanes ?? [])];
    const routes = [...new Set(touched.routes ?? [])];
    const byScore = [...lanes.map((l) => keys.deploymentIndex('job', l)), ...routes.map((r) => keys.deploymentIndex('route', r))];
    const scriptKeys = [
      keys.deliveries,
      keys.deliveryIndex('source', touched.source),
      keys.deployments,
      keys.deploymentIndex('source', touched.source),
      ...DELIVERY_OUTCOMES.map((o) => keys.deliveryIndex('outcome', o)),
      ...byScore,
      ...lanes.map((l) => keys.jobPending(l)),
    ];
    const [deliveryHead] = around(keys.delivery('\n'));
    const [deliverySourceHead] = around(keys.deliverySource('\n'));
    const [bySourceHead] = around(keys.deliveryIndex('source', '\n'));
    const [deploymentHead] = around(keys.deployment('\n'));
    const args = [
      nowMs - keepMs,
      TRIM_LIMIT,
      retention.maxDeliveries,
      deliveryHead!,
      deliverySourceHead!,
      bySourceHead!,
      deploymentHead!,
      keys.deploymentIndexPrefix('status'),
      DELIVERY_OUTCOMES.length,
      byScore.length,
      PENDING_ENDS,
      ...DELIVERY_OUTCOMES.map((o) => nowMs - keepOf(o)),
      ...DEPLOYMENT_STATUSES,
    ];
    const [trimmed, capped] = (await trimScript(redis, scriptKeys, args)) as [number, number];
    return { trimmed, capped };
  }

  return {
    /**
     * When a delivery of this outcome received at `atMs` expires (with its outcome index, which
     * holds only its kind), and when the indexes mixing every kind do.
     */
    expiries(outcome: DeliveryOutcome, atMs: number) {
      return { record: atMs + keepOf(outcome), indexes: atMs + keepMs };
    },
    /** When a deployment changed now expires: each transition re-arms it. */
    deploymentExpiry: (atMs: number) => atMs + keepMs,
    /**
     * Called after every write; trims on one in `trimEvery`. A failed trim is logged, never the
     * write's failure: the next one catches up.
     */
    async afterWrite(redis: RedisClient, touched: Touched): Promise<void> {
      if (writes++ % trimEvery !== 0) return;
      try {
        const { trimmed, capped } = await trim(redis, touched);
        if (capped > 0) deps.logger?.warn({ capped, maxDeliveries: retention.maxDeliveries }, 'history over HISTORY_MAX_DELIVERIES: deleted the oldest');
        else if (trimmed > 0) deps.logger?.debug({ trimmed }, 'history indexes trimmed past retention');
      } catch (err) {
        deps.logger?.warn({ err }, 'could not trim the history indexes');
      }
    },
  };
}

export type HistoryRetention = ReturnType<typeof createRetention>;
