import { deployValueProblem } from '../routing/deploy-values.js';
import type { DeployRequest } from '../routing/plan.js';
import { describeTarget, lanesOf } from '../qovery/targets.js';
import type { NormalizedEvent } from '../sources/types.js';

/** How many skipped items a delivery lists by name; the rest are counted. */
const LISTED_SKIPS = 20;

export interface Selection {
  readonly kept: readonly DeployRequest[];
  /** Requests whose commit or tag Qovery cannot take, each with its reason. */
  readonly invalid: readonly string[];
  readonly skipped: readonly string[];
}

function pushTime(event: NormalizedEvent | undefined): number {
  const time = event?.pushedAt ? Date.parse(event.pushedAt) : Number.NaN;
  return Number.isNaN(time) ? -Infinity : time;
}

/**
 * Which of a delivery's matched requests become deployments: those whose values Qovery can take,
 * and of several for one service only the newest (push time, then position in the delivery), since
 * newest-wins would supersede the others at once. A Quay push of 10,000 tags to one service is one
 * deployment, not 10,000.
 */
export function selectRequests(requests: readonly DeployRequest[], events: readonly NormalizedEvent[]): Selection {
  const invalid: string[] = [];
  const newestByLane = new Map<string, DeployRequest>();
  const superseded: DeployRequest[] = [];
  for (const request of requests) {
    const problem = deployValueProblem(request);
    if (problem) {
      invalid.push(problem);
      continue;
    }
    const lane = lanesOf(request.target).join(',');
    const current = newestByLane.get(lane);
    const newer =
      !current ||
      pushTime(events[request.eventIndex]) > pushTime(events[current.eventIndex]) ||
      (pushTime(events[request.eventIndex]) === pushTime(events[current.eventIndex]) && request.eventIndex > current.eventIndex);
    if (current && newer) superseded.push(current);
    if (!current || newer) newestByLane.set(lane, request);
    else superseded.push(request);
  }
  const kept = requests.filter((r) => newestByLane.get(lanesOf(r.target).join(',')) === r);
  const reasons = [
    ...invalid,
    ...superseded.map((r) => `route "${r.route}": ${r.imageTag ?? r.gitCommitId} left out, a newer event of this delivery deploys ${describeTarget(r.target)}`),
  ];
  const skipped = reasons.length > LISTED_SKIPS ? [...reasons.slice(0, LISTED_SKIPS), `and ${reasons.length - LISTED_SKIPS} more`] : reasons;
  return { kept, invalid, skipped };
}
