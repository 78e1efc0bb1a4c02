import type { Logger } from 'pino';
import { decodeDelivery, decodeDeployment, decodeDeploymentState, toHashPairs } from './codec.js';
import type { DeploymentMetrics } from '../metrics/registry.js';
import type { DeploymentIndexField, RelayKeys } from '../redis/keys.js';
import { luaScript, type RedisClient } from '../redis/scripts.js';
import {
  allowedFrom,
  lanesOfState,
  notificationOutcomeSchema,
  TERMINAL_STATUSES,
  type Delivery,
  type Deployment,
  type DeploymentState,
  type DeploymentStatus,
  type NotificationOutcome,
  type Transition,
} from './model.js';
import { pageIndex, type Page } from './queries.js';
import { deployQueueKeys } from '../queue/inline-add.js';
import { createRetention, type Retention } from './retention.js';
import { isRelease, laneOf, lanesOf, type DeploymentKind, type DeploymentTarget } from '../qovery/targets.js';
import { FORGET_DELIVERY, RECORD_DELIVERY, TRANSITION } from './scripts.js';
import { EVENT_FIELD, type DeliveryEvent, type DeploymentEvent, type NotificationEvent } from '../events/schema.js';

const recordDeliveryScript = luaScript(RECORD_DELIVERY);
const transitionScript = luaScript(TRANSITION);
const forgetDeliveryScript = luaScript(FORGET_DELIVERY);

/** A deployment as intake creates it; history adds status, attempts, times and the first transition. */
export type NewDeployment = Readonly<
  Pick<
    DeploymentState,
    'id' | 'route' | 'forceEvent' | 'imageTag' | 'imageDigest' | 'gitCommitId' | 'pushedAt' | 'allowDowngrade' | 'cancelSuperseded' | 'redeployOf'
  >
> & {
  readonly target: DeploymentTarget;
  /**
   * Its place among the service's deployments when it is not its push's arrival: a re-drive takes
   * the place of the deployment it repeats, so that newest-wins judges it as that push.
   */
  readonly order?: number;
};

/** The first transition's detail: which route matched, and what asked for the deployment when it was no webhook. */
function firstDetail(d: NewDeployment, delivery: Delivery): string {
  if (d.redeployOf !== undefined) return `re-drive of ${d.redeployOf} (route ${d.route}), asked for over the API`;
  if (delivery.replayOf !== undefined) return `matched route ${d.route} on a replay of delivery ${delivery.replayOf}`;
  return `matched route ${d.route}`;
}

/** A transition as recorded, less its time (the history stamps it), plus what changes with it. */
export interface TransitionInput extends Omit<Transition, 'at'> {
  /** Deployment fields that change with this transition. */
  readonly set?: Partial<
    Pick<
      DeploymentState,
      'qoveryState' | 'deploymentRequestId' | 'supersededBy' | 'reason' | 'intentAt' | 'acceptedAt' | 'leftTerminal' | 'uncertain' | 'dryRun' | 'services'
    >
  >;
  /** Counts a new deploy attempt. */
  readonly countAttempt?: boolean;
}

export type RecordedDelivery = { readonly created: true } | { readonly created: false; readonly existing: Delivery };

export type TransitionResult =
  { readonly applied: true; readonly previous: DeploymentStatus } | { readonly applied: false; readonly current: DeploymentStatus | 'missing' };

export interface DeploymentFilter {
  readonly jobId?: string;
  readonly targetKind?: DeploymentKind;
  readonly targetId?: string;
  readonly status?: DeploymentStatus;
  readonly route?: string;
  readonly source?: string;
  readonly limit: number;
  readonly cursor?: string;
  /** Arrival window, in ms, both ends included. */
  readonly sinceMs?: number;
  readonly untilMs?: number;
}

export interface DeliveryFilter {
  readonly source?: string;
  readonly outcome?: Delivery['outcome'];
  readonly limit: number;
  readonly cursor?: string;
  readonly sinceMs?: number;
  readonly untilMs?: number;
}

/**
 * "Newest" follows the provider's push time when it tells one, else arrival. Arrival's
 * milliseconds break ties between pushes stamped in the same second (Docker Hub's resolution).
 */
/** A deployment keeps its last notification attempts, so a receiver failing for days cannot grow it without end. */
const MAX_NOTIFICATION_OUTCOMES = 100;

export function pushOrder(pushedAt: string | undefined, arrivalMs: number): number {
  const base = pushedAt ? Date.parse(pushedAt) : arrivalMs;
  return (Number.isNaN(base) ? arrivalMs : base) * 1000 + (arrivalMs % 1000);
}

const deliveryEventOf = (d: Delivery): DeliveryEvent => ({ type: 'delivery', id: d.id, source: d.source, outcome: d.outcome, at: d.receivedAt });

/** Statuses after which a deployment no longer competes for its job's next deploy. */
const LEAVES_PENDING: ReadonlySet<DeploymentStatus> = new Set([...TERMINAL_STATUSES, 'accepted']);

/**
 * What a transition says to the metrics: the first deploy call and the final status are timed from
 * the webhook (the deployment's creation), which the transition script reads anyway.
 */
function observeTransition(metrics: DeploymentMetrics, status: DeploymentStatus, previous: DeploymentStatus, secondsSinceWebhook: number): void {
  if (status === 'retrying') metrics.deployRetried();
  else if (status === 'deploying' && previous === 'queued') metrics.firstDeployCall(secondsSinceWebhook);
  else if (TERMINAL_STATUSES.has(status)) metrics.deploymentFinished(status, secondsSinceWebhook);
}

export function createHistory(deps: {
  redis: RedisClient;
  keys: RelayKeys;
  retention: Retention;
  /** The events stream's cap (approximate: Redis trims whole nodes); `GET /events` resumes within it. */
  eventsMaxLen: number;
  now?: () => Date;
  logger?: Logger;
  metrics?: DeploymentMetrics;
}) {
  const { redis, keys, eventsMaxLen } = deps;
  const now = deps.now ?? (() => new Date());
  const retention = createRetention({ keys, retention: deps.retention, now, logger: deps.logger });
  // The transition script reads the job id from the deployment, so it gets the key around it.
  const aroundJobId = keys.jobPending('\n').split('\n');
  const deployQueue = deployQueueKeys(keys);

  /**
   * A deployment's per-service indexes (one per lane, so `?jobId=` finds releases too, and a
   * release's own) and its pending sets (one per lane: newest-wins runs per service).
   */
  function deploymentIndexes(target: DeploymentTarget): { indexes: string[]; pending: string[] } {
    const lanes = lanesOf(target);
    const own = isRelease(target) ? [keys.deploymentIndex('job', laneOf(target))] : [];
    return { indexes: [...lanes.map((lane) => keys.deploymentIndex('job', lane)), ...own], pending: lanes.map((lane) => keys.jobPending(lane)) };
  }

  /**
   * The keys one delivery's record touches, in the order RECORD_DELIVERY and FORGET_DELIVERY read
   * them, and each deployment's id with how many indexes and pending sets it has among them.
   */
  function deliveryKeys(
    delivery: Delivery,
    deployments: readonly NewDeployment[],
    signature: string | undefined,
  ): { scriptKeys: string[]; counts: Array<[string, number, number]> } {
    const scriptKeys = [
      keys.delivery(keys.deliveryMember(delivery.source, delivery.id)),
      keys.deliveries,
      keys.deliveryIndex('source', delivery.source),
      keys.deliveryIndex('outcome', delivery.outcome),
      keys.deliverySource(delivery.id),
      keys.deployments,
      keys.deploymentIndex('status', 'queued'),
      keys.deploymentIndex('source', delivery.source),
      ...deployQueue.scriptKeys,
    ];
    const counts: Array<[string, number, number]> = [];
    for (const d of deployments) {
      const { indexes, pending } = deploymentIndexes(d.target);
      scriptKeys.push(keys.deployment(d.id), keys.transitions(d.id), keys.deploymentIndex('route', d.route), ...indexes, ...pending);
      counts.push([d.id, indexes.length, pending.length]);
    }
    if (signature !== undefined) scriptKeys.push(keys.deliverySignature(delivery.source, signature));
    return { scriptKeys, counts };
  }

  async function loadDeployments(ids: readonly string[]): Promise<Array<Deployment | undefined>> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.deployment(id)).lrange(keys.transitions(id), 0, -1);
    const results = (await pipeline.exec()) ?? [];
    return ids.map((_, i) => {
      const [hashError, hash] = results[i * 2] ?? [];
      const [listError, list] = results[i * 2 + 1] ?? [];
      if (hashError || listError) throw hashError ?? listError;
      return decodeDeployment(hash as Record<string, string>, list as string[]);
    });
  }

  /** The hash is what relays before retention wrote; it is read in the same round trip. */
  async function sourceOf(id: string): Promise<string | null> {
    const results = (await redis.pipeline().get(keys.deliverySource(id)).hget(keys.deliverySources, id).exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    return (results[0]?.[1] as string | null) ?? (results[1]?.[1] as string | null) ?? null;
  }

  async function loadDeliveries(members: readonly string[]): Promise<Array<Delivery | undefined>> {
    if (members.length === 0) return [];
    const values = await redis.mget(...members.map((member) => keys.delivery(member)));
    return values.map((v) => decodeDelivery(v));
  }

  return {
    /**
     * Stores a delivery with all its deployments, their indexes, first transitions and deploy jobs
     * in one atomic step. When the delivery id is already stored nothing is written and the stored
     * delivery is returned, which is how duplicates are recognised. `via` runs it on another
     * connection: intake's, which fails fast and batches each turn's writes.
     */
    async recordDelivery(
      delivery: Delivery,
      deployments: readonly NewDeployment[],
      options: { via?: RedisClient; signature?: string } = {},
    ): Promise<RecordedDelivery> {
      const received = new Date(delivery.receivedAt);
      const member = keys.deliveryMember(delivery.source, delivery.id);
      const expiry = retention.expiries(delivery.outcome, received.getTime());
      const deliveryEvent = JSON.stringify(deliveryEventOf(delivery));
      const args: Array<string | number> = [
        JSON.stringify(delivery),
        member,
        received.getTime(),
        expiry.record,
        delivery.source,
        deliveryEvent,
        keys.events,
        deployments.length,
        keys.delivery(''),
        expiry.indexes,
        expiry.record,
        options.signature !== undefined ? '1' : '0',
        deployQueue.head,
        eventsMaxLen,
      ];
      const { scriptKeys, counts } = deliveryKeys(delivery, deployments, options.signature);
      deployments.forEach((d, i) => {
        const order = d.order ?? pushOrder(d.pushedAt, received.getTime());
        // Appended field by field: object rest and conditional spreads take V8's slow path, and
        // this runs for every webhook (it was two thirds of recordDelivery's own time).
        const { target } = d;
        const pairs = toHashPairs(d);
        pairs.push('targetKind', target.kind, 'targetId', target.id, 'lanes', lanesOf(target).join(','));
        if (target.kind === 'job') pairs.push('jobId', target.id);
        if (isRelease(target)) pairs.push('services', JSON.stringify(target.services));
        toHashPairs(
          {
            deliveryId: delivery.id,
            source: delivery.source,
            status: 'queued',
            attempts: 0,
            createdAt: delivery.receivedAt,
            createdAtMs: received.getTime(),
            updatedAt: delivery.receivedAt,
            order,
          },
          pairs,
        );
        const transition: Transition = { at: delivery.receivedAt, status: 'queued', detail: firstDetail(d, delivery) };
        const event = JSON.stringify({ type: 'deployment', id: d.id, status: 'queued', at: delivery.receivedAt } satisfies DeploymentEvent);
        const [, indexCount, pendingCount] = counts[i] ?? [d.id, 0, 0];
        args.push(d.id, order, JSON.stringify(transition), event, indexCount, pendingCount, pairs.length, ...pairs);
      });
      const via = options.via ?? redis;
      const touched = { source: delivery.source, lanes: deployments.flatMap((d) => lanesOf(d.target)), routes: deployments.map((d) => d.route) };
      const [existing] = await Promise.all([recordDeliveryScript(via, scriptKeys, args), retention.afterWrite(via, touched)]);
      return typeof existing === 'string' ? { created: false, existing: JSON.parse(existing) as Delivery } : { created: true };
    },

    /**
     * Undoes `recordDelivery` after its request failed, so that the sender's retry is stored as
     * new, unless a worker has already begun one of its deployments. True when it was undone.
     */
    async forgetDelivery(delivery: Delivery, deployments: readonly NewDeployment[], signature?: string): Promise<boolean> {
      const member = keys.deliveryMember(delivery.source, delivery.id);
      const { scriptKeys, counts } = deliveryKeys(delivery, deployments, signature);
      const args = [member, delivery.id, delivery.source, deployments.length, signature !== undefined ? '1' : '0', deployQueue.head, ...counts.flat()];
      return (await forgetDeliveryScript(redis, scriptKeys, args)) === 1;
    },

    /** A repeat of a stored delivery is kept as its own entry so the history shows every request. */
    async recordDuplicate(duplicate: Delivery): Promise<void> {
      const score = new Date(duplicate.receivedAt).getTime();
      const member = keys.deliveryMember(duplicate.source, duplicate.id);
      const expiry = retention.expiries('duplicate', score);
      const bySource = keys.deliveryIndex('source', duplicate.source);
      const byOutcome = keys.deliveryIndex('outcome', 'duplicate');
      const write = redis
        .multi()
        .set(keys.delivery(member), JSON.stringify(duplicate), 'PXAT', expiry.record)
        .set(keys.deliverySource(duplicate.id), duplicate.source, 'PXAT', expiry.record)
        .zadd(keys.deliveries, score, member)
        .pexpireat(keys.deliveries, expiry.indexes)
        .zadd(bySource, score, member)
        .pexpireat(bySource, expiry.indexes)
        .zadd(byOutcome, score, member)
        .pexpireat(byOutcome, expiry.record)
        .xadd(keys.events, 'MAXLEN', '~', eventsMaxLen, '*', EVENT_FIELD, JSON.stringify(deliveryEventOf(duplicate)))
        .pexpireat(keys.events, expiry.indexes)
        .exec();
      await Promise.all([write, retention.afterWrite(redis, { source: duplicate.source })]);
    },

    /** The one place a deployment changes status: checked, recorded, indexed and published together. */
    async transition(deploymentId: string, input: TransitionInput): Promise<TransitionResult> {
      const atMs = now().getTime();
      const at = new Date(atMs).toISOString();
      const { set: _set, countAttempt: _countAttempt, ...recorded } = input;
      const transition: Transition = { at, ...recorded };
      const allowed = `,${allowedFrom(input.status).join(',')},`;
      const result = (await transitionScript(
        redis,
        [keys.deployment(deploymentId), keys.transitions(deploymentId)],
        [
          input.status,
          allowed,
          JSON.stringify(transition),
          at,
          LEAVES_PENDING.has(input.status) ? '1' : '0',
          input.countAttempt ? '1' : '0',
          keys.deploymentIndexPrefix('status'),
          ...aroundJobId,
          keys.events,
          retention.deploymentExpiry(atMs),
          eventsMaxLen,
          ...toHashPairs(input.set ?? {}),
        ],
      )) as [number, string, string?];
      if (result[0] !== 1) return { applied: false, current: result[1] as DeploymentStatus | 'missing' };
      const previous = result[1] as DeploymentStatus;
      if (deps.metrics && result[2] !== undefined) observeTransition(deps.metrics, input.status, previous, Math.max(0, atMs - Number(result[2])) / 1000);
      deps.logger?.info({ deploymentId, status: input.status, previous, ...(input.detail !== undefined && { detail: input.detail }) }, 'deployment status');
      return { applied: true, previous };
    },

    /** One round trip and no transitions to parse: what the worker reads on every step of every poll. */
    async getDeploymentState(id: string): Promise<DeploymentState | undefined> {
      return decodeDeploymentState(await redis.hgetall(keys.deployment(id)));
    },

    /** Many deployments' states in one round trip: what the follower reads for an environment's deployments. */
    async getDeploymentStates(ids: readonly string[]): Promise<Array<DeploymentState | undefined>> {
      if (ids.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hgetall(keys.deployment(id));
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error, hash]) => {
        if (error) throw error;
        return decodeDeploymentState(hash as Record<string, string>);
      });
    },

    /** Appends one notification attempt to the deployment's record, and to the live events; it expires with the deployment. */
    async recordNotification(deploymentId: string, outcome: Omit<NotificationOutcome, 'at'>): Promise<void> {
      const key = keys.notifications(deploymentId);
      const atMs = now().getTime();
      const entry: NotificationOutcome = { at: new Date(atMs).toISOString(), ...outcome };
      const event: NotificationEvent = { type: 'notification', deploymentId, kind: outcome.kind, name: outcome.name, result: outcome.result, at: entry.at };
      const expiry = retention.deploymentExpiry(atMs);
      await redis
        .multi()
        .rpush(key, JSON.stringify(entry))
        .ltrim(key, -MAX_NOTIFICATION_OUTCOMES, -1)
        .pexpireat(key, expiry)
        .xadd(keys.events, 'MAXLEN', '~', eventsMaxLen, '*', EVENT_FIELD, JSON.stringify(event))
        .pexpireat(keys.events, expiry)
        .exec();
    },

    async getNotifications(deploymentId: string): Promise<NotificationOutcome[]> {
      const entries = await redis.lrange(keys.notifications(deploymentId), 0, -1);
      return entries.map((entry) => notificationOutcomeSchema.parse(JSON.parse(entry)));
    },

    async getDeployment(id: string): Promise<Deployment | undefined> {
      const [deployment] = await loadDeployments([id]);
      return deployment;
    },

    getDeployments: loadDeployments,

    /** Without a source, the delivery of that id from the source that sent it last. */
    async getDelivery(id: string, source?: string): Promise<Delivery | undefined> {
      const from = source ?? (await sourceOf(id));
      return from === null ? undefined : decodeDelivery(await redis.get(keys.delivery(keys.deliveryMember(from, id))));
    },

    /** The most selective index drives the walk; the other filters are applied to loaded items. */
    listDeployments(filter: DeploymentFilter): Promise<Page<Deployment>> {
      // The per-service index is keyed by lane (a release's own index by its lane too).
      const byTarget = filter.targetId !== undefined && filter.targetKind !== undefined ? laneOf({ kind: filter.targetKind, id: filter.targetId }) : undefined;
      const lane = filter.jobId ?? byTarget;
      const indexed: Array<[DeploymentIndexField, string | undefined]> = [
        ['job', lane],
        ['status', filter.status],
        ['route', filter.route],
        ['source', filter.source],
      ];
      const first = indexed.find(([, value]) => value !== undefined);
      const indexKey = first ? keys.deploymentIndex(first[0], first[1]!) : keys.deployments;
      return pageIndex(
        redis,
        indexKey,
        filter,
        loadDeployments,
        (d) =>
          // A release that deploys the job counts as one of its deployments.
          (filter.jobId === undefined || lanesOfState(d).includes(filter.jobId)) &&
          (filter.targetKind === undefined || d.targetKind === filter.targetKind) &&
          (filter.targetId === undefined || d.targetId === filter.targetId) &&
          (filter.status === undefined || d.status === filter.status) &&
          (filter.route === undefined || d.route === filter.route) &&
          (filter.source === undefined || d.source === filter.source),
      );
    },

    listDeliveries(filter: DeliveryFilter): Promise<Page<Delivery>> {
      const indexKey =
        filter.source !== undefined
          ? keys.deliveryIndex('source', filter.source)
          : filter.outcome !== undefined
            ? keys.deliveryIndex('outcome', filter.outcome)
            : keys.deliveries;
      return pageIndex(
        redis,
        indexKey,
        filter,
        loadDeliveries,
        (d) => (filter.source === undefined || d.source === filter.source) && (filter.outcome === undefined || d.outcome === filter.outcome),
      );
    },
  };
}

export type History = ReturnType<typeof createHistory>;
