import type { QoveryClient, QoveryResult } from './client.js';
import type { BudgetUse, QoveryBudget } from './rate-limit.js';

/** One call to the Qovery API, paid for from the shared budget before it was handed out. */
export interface QoveryCall {
  deploy: QoveryClient['deploy'];
  getStatus: QoveryClient['getStatus'];
  cancelDeploymentRequest: QoveryClient['cancelDeploymentRequest'];
  deployRelease: QoveryClient['deployRelease'];
  getReleaseStatus: QoveryClient['getReleaseStatus'];
  getEnvironmentStatuses: QoveryClient['getEnvironmentStatuses'];
  getServiceEnvironment: QoveryClient['getServiceEnvironment'];
}

export type Permit = ({ readonly granted: true } & QoveryCall) | { readonly granted: false; readonly waitMs: number };

/**
 * The only way the worker reaches Qovery: each permit takes one token from the shared hourly
 * budget and is good for exactly one call, so no call can skip the budget. A permit comes before
 * the call rather than inside it because the deploy phase records its intent between the two.
 */
export function createBudgetedQovery(client: QoveryClient, budget: QoveryBudget) {
  return {
    /** `follow`: a status read or lookup, which leaves the bucket's reserve to deploy calls. */
    async permit(use: BudgetUse = 'deploy'): Promise<Permit> {
      const waitMs = await budget.take(use);
      if (waitMs > 0) return { granted: false, waitMs };
      let used = false;
      const once =
        <A extends unknown[]>(call: (...args: A) => Promise<QoveryResult>) =>
        (...args: A): Promise<QoveryResult> => {
          if (used) throw new Error('a Qovery permit pays for one call only');
          used = true;
          return call(...args);
        };
      return {
        granted: true,
        deploy: once(client.deploy),
        getStatus: once(client.getStatus),
        cancelDeploymentRequest: once(client.cancelDeploymentRequest),
        deployRelease: once(client.deployRelease),
        getReleaseStatus: once(client.getReleaseStatus),
        getEnvironmentStatuses: once(client.getEnvironmentStatuses),
        getServiceEnvironment: once(client.getServiceEnvironment),
      };
    },
  };
}

export type BudgetedQovery = ReturnType<typeof createBudgetedQovery>;
