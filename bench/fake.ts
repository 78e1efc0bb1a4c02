import { startFakeQovery, type FakeQovery, type RecordedRequest } from '../test/fakes/fake-qovery.js';
import { QOVERY_TOKEN } from './relay-process.js';

export type { FakeQovery };

/** The fake Qovery the tests use, a real HTTP server in the bench process. */
export const startFake = (): Promise<FakeQovery> => startFakeQovery({ token: QOVERY_TOKEN });

const JOB_PATH = /^\/job\/([^/]+)\/(deploy|status)$/;

export interface Call {
  readonly kind: 'deploy' | 'status';
  readonly jobId: string;
  readonly at: number;
  readonly commit?: string;
}

/**
 * Takes what the fake recorded so far and empties its log: under thousands of calls a second the
 * log (headers and all) would otherwise grow by hundreds of MB in the bench process.
 */
export function drainCalls(fake: FakeQovery): Call[] {
  const taken: RecordedRequest[] = fake.requests.splice(0);
  const calls: Call[] = [];
  for (const request of taken) {
    const match = JOB_PATH.exec(request.path);
    if (!match) continue;
    const kind = match[2] as 'deploy' | 'status';
    const commit = kind === 'deploy' ? (request.body as { git_commit_id?: string } | undefined)?.git_commit_id : undefined;
    calls.push({ kind, jobId: match[1] as string, at: request.at, ...(commit !== undefined && { commit }) });
  }
  return calls;
}
