import { startFakeQovery, type FakeQovery, type RecordedRequest } from '../test/fakes/fake-qovery.js';
import { QOVERY_TOKEN } from './relay-process.js';

export type { FakeQovery };

/** The fake Qovery the tests use, a real HTTP server in the bench process. */
export const startFake = (): Promise<FakeQovery> => startFakeQovery({ token: QOVERY_TOKEN });

const JOB_PATH = /^\/job\/([^/]+)(?:\/(deploy|status))?$/;
const STATUSES_PATH = /^\/environment\/([^/]+)\/statuses$/;

/**
 * One call the fake received: a deploy, a service's own status read, a lookup of its environment
 * (`GET /job/{id}`), or an environment's statuses (`id` is then the environment's).
 */
export interface Call {
  readonly kind: 'deploy' | 'status' | 'lookup' | 'statuses';
  readonly id: string;
  readonly at: number;
  readonly commit?: string;
  /** For `statuses`: how many services the answer listed. */
  readonly listed?: number;
}

/**
 * Takes what the fake recorded so far and empties its log: under thousands of calls a second the
 * log (headers and all) would otherwise grow by hundreds of MB in the bench process.
 */
export function drainCalls(fake: FakeQovery): Call[] {
  const taken: RecordedRequest[] = fake.requests.splice(0);
  const calls: Call[] = [];
  for (const request of taken) {
    const statuses = STATUSES_PATH.exec(request.path);
    if (statuses) {
      calls.push({ kind: 'statuses', id: statuses[1] as string, at: request.at, listed: request.servicesRead?.length ?? 0 });
      continue;
    }
    const match = JOB_PATH.exec(request.path);
    if (!match) continue;
    const kind = (match[2] as 'deploy' | 'status' | undefined) ?? 'lookup';
    const commit = kind === 'deploy' ? (request.body as { git_commit_id?: string } | undefined)?.git_commit_id : undefined;
    calls.push({ kind, id: match[1] as string, at: request.at, ...(commit !== undefined && { commit }) });
  }
  return calls;
}
