/**
 * Every Redis key the history owns, in one place. With Redis Cluster, give RELAY_KEY_PREFIX a hash
 * tag (`{relay}`) so the Lua scripts, which touch indexes they compute, stay within one slot.
 */
export type DeploymentIndexField = 'job' | 'status' | 'route' | 'source';
export type DeliveryIndexField = 'source' | 'outcome';

export function historyKeys(prefix: string) {
  return {
    prefix,
    deployment: (id: string) => `${prefix}:dep:${id}`,
    transitions: (id: string) => `${prefix}:dep:${id}:tr`,
    deployments: `${prefix}:deps`,
    deploymentIndex: (field: DeploymentIndexField, value: string) => `${prefix}:deps:${field}:${value}`,
    delivery: (id: string) => `${prefix}:dlv:${id}`,
    deliveries: `${prefix}:dlvs`,
    deliveryIndex: (field: DeliveryIndexField, value: string) => `${prefix}:dlvs:${field}:${value}`,
    /** Deployments of a Qovery job not yet handed to Qovery, scored by push order. */
    jobPending: (jobId: string) => `${prefix}:job:${jobId}:pending`,
    /** Held while a deploy call for the job is in flight, by the deployment making it. */
    jobLock: (jobId: string) => `${prefix}:job:${jobId}:lock`,
    /** The job's last deployment handed to Qovery and its last success, for newest-wins and downgrades. */
    jobLast: (jobId: string) => `${prefix}:job:${jobId}:last`,
    /** Token bucket shared by every worker for calls to the Qovery API. */
    qoveryBudget: `${prefix}:qovery:budget`,
    /** Every state change is published here for live views. */
    events: `${prefix}:events`,
  };
}

export type HistoryKeys = ReturnType<typeof historyKeys>;
