/**
 * Every Redis key the relay owns, in one place: the history, the per-job coordination, the Qovery
 * budget, rate limits and the queue all take their names from here. With Redis Cluster, give
 * RELAY_KEY_PREFIX a hash tag (`{relay}`) so the Lua scripts, which touch several of them, stay
 * within one slot.
 */
export type DeploymentIndexField = 'job' | 'status' | 'route' | 'source';
export type DeliveryIndexField = 'source' | 'outcome';

export function relayKeys(prefix: string) {
  const deploymentIndexPrefix = (field: DeploymentIndexField) => `${prefix}:deps:${field}:`;
  return {
    prefix,
    /** BullMQ's own prefix: it names the queue's keys `<prefix>:<queue>:...` itself. */
    queuePrefix: prefix,
    deployment: (id: string) => `${prefix}:dep:${id}`,
    transitions: (id: string) => `${prefix}:dep:${id}:tr`,
    /** What each notification and commit status about the deployment came to, in order. */
    notifications: (id: string) => `${prefix}:dep:${id}:notify`,
    deployments: `${prefix}:deps`,
    /** The scripts that move a deployment between status indexes append the status to this. */
    deploymentIndexPrefix,
    deploymentIndex: (field: DeploymentIndexField, value: string) => `${deploymentIndexPrefix(field)}${value}`,
    /**
     * Delivery ids are unique per source only (two sources may receive one Pub/Sub or EventBridge
     * event), so a delivery is stored, deduplicated and indexed as `<source>/<id>`.
     */
    deliveryMember: (source: string, id: string) => `${source}/${id}`,
    delivery: (member: string) => `${prefix}:dlv:${member}`,
    /** The delivery whose signed content carried this signature: a replay under a new id is a repeat. */
    deliverySignature: (source: string, signature: string) => `${prefix}:dlv-sig:${source}:${signature}`,
    /**
     * The latest source that sent a delivery id, for `GET /deliveries/:id` without a source: one
     * small key per id, so it expires with its delivery (a hash field cannot on Redis 7.0).
     */
    deliverySource: (id: string) => `${prefix}:dlv-src:${id}`,
    /** The same lookup as one hash, as written before retention: read only, for older deliveries. */
    deliverySources: `${prefix}:dlv-sources`,
    deliveries: `${prefix}:dlvs`,
    deliveryIndex: (field: DeliveryIndexField, value: string) => `${prefix}:dlvs:${field}:${value}`,
    /** Deployments of a Qovery job not yet handed to Qovery, scored by push order. */
    jobPending: (jobId: string) => `${prefix}:job:${jobId}:pending`,
    /** Held while a deploy call for the job is in flight, by the deployment making it. */
    jobLock: (jobId: string) => `${prefix}:job:${jobId}:lock`,
    /** The job's last deployment handed to Qovery and its last success, for newest-wins and downgrades. */
    jobLast: (jobId: string) => `${prefix}:job:${jobId}:last`,
    /**
     * What following checks next, scored by when: an environment (`e:<id>`), read once for every
     * deployment in flight there, or a deployment on its own (`d:<id>`) whose environment is unknown.
     */
    followDue: `${prefix}:follow:due`,
    /** The deployments in flight in one Qovery environment. */
    followEnvironment: (environmentId: string) => `${prefix}:follow:env:${environmentId}`,
    /** The followed deployment a Qovery deployment request is, so a Qovery webhook naming the request finds it. */
    followRequest: (requestId: string) => `${prefix}:follow:request:${requestId}`,
    /** A Qovery webhook named this request before the relay had recorded it as its deployment's (Qovery was faster). */
    followEarlyEvent: (requestId: string) => `${prefix}:follow:early:${requestId}`,
    /** Set while Qovery's webhooks report on an environment (or, without an id, on any): its polling is then only a safety net. */
    followHeard: (environmentId: string | undefined) => `${prefix}:follow:heard${environmentId === undefined ? '' : `:${environmentId}`}`,
    /** The Qovery environment of each service (by lane), learned once from `GET /<kind>/{id}`. */
    serviceEnvironments: `${prefix}:follow:service-env`,
    /** Token bucket shared by every worker for calls to the Qovery API. */
    qoveryBudget: `${prefix}:qovery:budget`,
    /** Webhook rate-limit windows; @fastify/rate-limit appends the route and client to this. */
    rateLimitNamespace: `${prefix}:ratelimit:`,
    /** Every state change is published here for live views; the `notify` consumer group reads it too. */
    events: `${prefix}:events`,
    /**
     * Token bucket of one git host's token for commit statuses (`hostKey` is a hash of API address
     * and token); outside `<prefix>:notify:`, which is the notify queue's, named by BullMQ.
     */
    commitStatusBudget: (hostKey: string) => `${prefix}:commit-status:budget:${hostKey}`,
  };
}

export type RelayKeys = ReturnType<typeof relayKeys>;
