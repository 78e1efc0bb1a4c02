import type { Logger } from 'pino';
import type { History } from '../history/history.js';
import { FOLLOWED_STATUSES, targetOf, type DeploymentState } from '../history/model.js';
import type { FollowMetrics } from '../metrics/registry.js';
import type { BudgetedQovery } from '../qovery/budgeted.js';
import type { QoveryResult, QoveryStatus } from '../qovery/client.js';
import { isRelease, laneOf, type Target } from '../qovery/targets.js';
import type { FollowPhase } from './follow-phase.js';
import type { ClaimedGroup, FollowSet } from './follow-set.js';
import type { ServiceEnvironments } from './service-environments.js';
import type { Step } from './step.js';

export interface FollowerPolicy {
  readonly pollIntervalMs: number;
  /** How often an environment is read while Qovery's webhooks report on it: only a safety net then. */
  readonly safetyIntervalMs: number;
  /** How long a claimed group is this follower's; past it, another takes it (its follower died). */
  readonly leaseMs: number;
  /** Groups checked at once: Qovery calls in flight from this process. */
  readonly concurrency: number;
}

/** Groups claimed per round trip; more are claimed at once when this many were due. */
const CLAIM_BATCH = 200;
/** The longest the follower sleeps: how soon it sees groups another process made due. */
const IDLE_MS = 500;

/** A check that could not run: the budget is short for `waitMs`. */
type Checked = { readonly denied: false } | { readonly denied: true; readonly waitMs: number };
const CHECKED: Checked = { denied: false };

const nextDelay = (steps: readonly Step[]): number | undefined => {
  const delays = steps.flatMap((step) => (step.kind === 'later' ? [step.delayMs] : []));
  return delays.length > 0 ? Math.min(...delays) : undefined;
};

/**
 * Follows every deployment Qovery has taken, one environment at a time: each check of an
 * environment is one `GET /environment/{id}/statuses`, whatever the number of deployments in
 * flight there. A service's environment is learned once (`GET /<kind>/{id}`); a service whose
 * environment cannot be read or does not list it is read at its own status endpoint instead.
 */
export function createFollower(deps: {
  history: History;
  followSet: FollowSet;
  environments: ServiceEnvironments;
  phase: FollowPhase;
  qovery: BudgetedQovery;
  policy: FollowerPolicy;
  logger: Logger;
  metrics?: FollowMetrics;
  now?: () => number;
}) {
  const { history, followSet, environments, phase, qovery, policy, logger } = deps;
  const now = deps.now ?? Date.now;

  /** Where a deployment is followed: its release's environment, its service's, or undefined while unknown. */
  async function environmentOf(d: DeploymentState): Promise<string | undefined> {
    const target = targetOf(d);
    return isRelease(target) ? target.id : environments.of(laneOf(target));
  }

  /** One environment read for every deployment in flight there; the ones that ended leave its group. */
  async function checkEnvironment(claimed: ClaimedGroup, environmentId: string): Promise<Checked> {
    const { members: ids, heard } = await followSet.environment(environmentId);
    const interval = heard ? Math.max(policy.safetyIntervalMs, policy.pollIntervalMs) : policy.pollIntervalMs;
    const states = await history.getDeploymentStates(ids);
    const ended: string[] = [];
    const live: DeploymentState[] = [];
    for (const [i, d] of states.entries()) {
      if (d && FOLLOWED_STATUSES.has(d.status)) live.push(d);
      else ended.push(ids[i] ?? '');
    }
    const stillRunning: DeploymentState[] = [];
    for (const d of live) {
      if (await phase.timedOut(d)) ended.push(d.id);
      else stillRunning.push(d);
    }
    if (stillRunning.length === 0) {
      await followSet.settleEnvironment(environmentId, ended, now() + interval, false);
      return CHECKED;
    }
    const permit = await qovery.permit('follow');
    if (!permit.granted) {
      await followSet.settleEnvironment(environmentId, ended, claimed.dueAt, false);
      return { denied: true, waitMs: permit.waitMs };
    }
    deps.metrics?.followChecked('environment', (now() - claimed.dueAt) / 1000, stillRunning.length);
    const result = await permit.getEnvironmentStatuses(environmentId);
    const byId = new Map((result.ok ? (result.services ?? []) : []).map((status) => [status.id, status]));
    const steps = await Promise.all(
      stillRunning.map(async (d): Promise<Step | undefined> => {
        const target = targetOf(d);
        if (isRelease(target)) return phase.judgeRelease(d, target, result);
        const own = byId.get(target.id);
        if (result.ok && result.services && !own) {
          // Listed nowhere in its environment: the stored environment is wrong for it (the service moved).
          await environments.followAlone(laneOf(target));
          await followSet.leave(environmentId, d.id, now());
          logger.warn({ deploymentId: d.id, environmentId, service: target.id }, 'service not listed in its environment; following it on its own');
          return undefined;
        }
        return phase.judgeService(d, target, own ? asStatusRead(result, own) : result);
      }),
    );
    stillRunning.forEach((d, i) => {
      if (steps[i]?.kind === 'done') ended.push(d.id);
    });
    // Every judged deployment asks for the next poll; while webhooks report here that is the safety net's.
    const delay = nextDelay(steps.flatMap((step) => (step ? [step] : [])));
    await followSet.settleEnvironment(environmentId, ended, now() + Math.max(delay ?? interval, interval), true);
    return CHECKED;
  }

  /** A deployment whose environment is not known yet: learn it (and join it), or read the service alone. */
  async function checkDeployment(claimed: ClaimedGroup, deploymentId: string): Promise<Checked> {
    const d = await history.getDeploymentState(deploymentId);
    if (!d || !FOLLOWED_STATUSES.has(d.status) || (await phase.timedOut(d))) {
      await followSet.settleDeployment(deploymentId, undefined);
      return CHECKED;
    }
    const target = targetOf(d);
    // Releases are enlisted in their environment's group; one found on its own still belongs there.
    if (isRelease(target)) {
      await followSet.join(d.id, target.id, now());
      return CHECKED;
    }
    const lane = laneOf(target);
    const known = await environments.of(lane);
    if (known !== undefined) {
      await followSet.join(d.id, known, now());
      return CHECKED;
    }
    const permit = await qovery.permit('follow');
    if (!permit.granted) {
      await followSet.release(claimed);
      return { denied: true, waitMs: permit.waitMs };
    }
    if (!environments.alone(lane)) return learnEnvironment(d, target, permit.getServiceEnvironment);
    deps.metrics?.followChecked('service', (now() - claimed.dueAt) / 1000, 1);
    const step = await phase.judgeService(d, target, await permit.getStatus(target));
    await followSet.settleDeployment(d.id, step.kind === 'later' ? now() + step.delayMs : undefined);
    return CHECKED;
  }

  async function learnEnvironment(d: DeploymentState, target: Target, lookup: (target: Target) => Promise<QoveryResult>): Promise<Checked> {
    const lane = laneOf(target);
    const found = await lookup(target);
    if (found.ok && found.environmentId !== undefined) {
      await environments.remember(lane, found.environmentId);
      await followSet.join(d.id, found.environmentId, now());
      return CHECKED;
    }
    // A refusal (no right to read the service, an answer without an environment) will not change
    // soon: the service is read alone for a while. A failure that may pass is tried again next time.
    const lasting = found.ok || found.outcome === 'refused';
    if (lasting) await environments.followAlone(lane);
    logger.warn(
      { deploymentId: d.id, service: target.id, detail: found.ok ? 'no environment in the answer' : found.detail },
      'could not read the environment of a service',
    );
    await followSet.settleDeployment(d.id, now() + (lasting ? 0 : policy.pollIntervalMs));
    return CHECKED;
  }

  async function check(claimed: ClaimedGroup): Promise<Checked> {
    const { group } = claimed;
    try {
      return group.kind === 'environment' ? await checkEnvironment(claimed, group.environmentId) : await checkDeployment(claimed, group.deploymentId);
    } catch (err) {
      // Left leased: it is due again when the lease ends, so an error here delays following, never ends it.
      logger.warn({ err, group }, 'following check failed; it is tried again after its lease');
      return CHECKED;
    }
  }

  /** Checks what is due, oldest first; once the budget runs short the rest go back in line, in their order. */
  async function pass(): Promise<{ claimed: number; waitMs?: number }> {
    const claimed = await followSet.claim(now(), policy.leaseMs, CLAIM_BATCH);
    let waitMs: number | undefined;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < claimed.length) {
        const item = claimed[next++] as ClaimedGroup;
        if (waitMs !== undefined) {
          await followSet.release(item);
          continue;
        }
        const checked = await check(item);
        if (checked.denied) waitMs = Math.max(waitMs ?? 0, checked.waitMs);
      }
    };
    await Promise.all(Array.from({ length: Math.min(policy.concurrency, claimed.length) }, lane));
    return { claimed: claimed.length, ...(waitMs !== undefined && { waitMs }) };
  }

  let running = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function run(): Promise<void> {
    while (running) {
      try {
        const { claimed, waitMs } = await pass();
        if (!running) break;
        if (waitMs !== undefined) await sleep(Math.min(waitMs, 60_000));
        else if (claimed < CLAIM_BATCH) {
          const dueAt = await followSet.nextDueAt();
          await sleep(Math.min(IDLE_MS, Math.max(0, (dueAt ?? Number.POSITIVE_INFINITY) - now())));
        }
      } catch (err) {
        logger.warn({ err }, 'following pass failed');
        await sleep(IDLE_MS);
      }
    }
  }

  return {
    /**
     * Hands a deployment Qovery has taken to following. Its first check is one poll interval away,
     * or the safety net's while Qovery's webhooks arrive: they will most likely report its end
     * first. One whose request a webhook already named (Qovery reported before the relay had
     * recorded its answer) is checked at once: that report found no deployment to settle.
     */
    async enlist(d: DeploymentState): Promise<void> {
      const early = d.deploymentRequestId !== undefined && (await followSet.takeEarlyEvent(d.deploymentRequestId));
      const firstCheckMs = early ? 0 : (await followSet.heardAny()) ? Math.max(policy.safetyIntervalMs, policy.pollIntervalMs) : policy.pollIntervalMs;
      await followSet.enlist(d.id, await environmentOf(d), now() + firstCheckMs, d.deploymentRequestId);
    },
    /** The reconciler's net: enlists those of these followed deployments the follow set lost; answers how many. */
    async repair(ids: readonly string[]): Promise<number> {
      const states = (await history.getDeploymentStates(ids)).filter((d): d is DeploymentState => d !== undefined && FOLLOWED_STATUSES.has(d.status));
      const entries = await Promise.all(states.map(async (d) => ({ deploymentId: d.id, environmentId: await environmentOf(d) })));
      const missing = new Set(await followSet.missing(entries));
      for (const d of states) if (missing.has(d.id)) await this.enlist(d);
      return missing.size;
    },
    pass,
    start(): void {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop(): Promise<void> {
      running = false;
      wake?.();
      await loop;
    },
  };
}

/** One service's Status out of its environment's statuses, read as the service's own status read. */
function asStatusRead(result: QoveryResult, status: QoveryStatus): QoveryResult {
  return result.ok ? { ok: true, httpStatus: result.httpStatus, status, ...(result.dryRun && { dryRun: true }) } : result;
}

export type Follower = ReturnType<typeof createFollower>;
