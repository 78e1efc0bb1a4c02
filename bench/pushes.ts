import { randomUUID } from 'node:crypto';
import { sign } from '../test/fakes/signers.js';
import { githubPush } from '../test/support/payloads.js';
import type { SourceConfig } from '../src/sources/types.js';

export const GITHUB_SECRET = 'bench-github-secret-0123456789';
export const GITHUB_SOURCE: SourceConfig = { name: 'github', type: 'github', secret: GITHUB_SECRET };

/** Deterministic job ids that are valid UUIDs (version 4, variant 8). */
export function jobIdFor(index: number): string {
  return `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
}

/** Deterministic environment ids, apart from the job ids. */
export function environmentIdFor(index: number): string {
  return `00000000-0000-4000-8000-e${index.toString(16).padStart(11, '0')}`;
}

/** A 40-hex commit id that carries a sequence number, so a deploy call can be traced to its push. */
export function commitFor(run: number, sequence: number): string {
  return `${run.toString(16).padStart(8, '0')}${sequence.toString(16).padStart(32, '0')}`;
}

export const repositoryFor = (index: number): string => `acme/svc-${index}`;

/** Rules with one github source and one route per job: pushes to acme/svc-<i> main deploy job i. */
export function rulesYaml(jobs: number): string {
  const routes = Array.from(
    { length: jobs },
    (_, i) =>
      `  - name: svc-${i}\n    source: github\n    match: { repository: ${repositoryFor(i)}, branch: main }\n    target: { jobId: ${jobIdFor(i)} }\n    deploy: commit\n`,
  );
  return `sources:\n  - name: github\n    type: github\n    secret: ${GITHUB_SECRET}\nroutes:\n${routes.join('')}`;
}

export interface SignedPush {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * A GitHub push signed the way GitHub signs it. The delivery id is a header outside the signature,
 * so one signed body can be sent many times as distinct deliveries.
 */
export function signedPush(options: { job: number; commit: string; timestamp?: Date }): SignedPush {
  const push = githubPush({
    repository: repositoryFor(options.job),
    branch: 'main',
    commit: options.commit,
    timestamp: (options.timestamp ?? new Date()).toISOString(),
  });
  const body = Buffer.from(JSON.stringify(push.body));
  return { headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...sign(GITHUB_SOURCE, body).headers }, body };
}

/** The same push as a new delivery. */
export function asDelivery(push: SignedPush, deliveryId: string = randomUUID()): Record<string, string> {
  return { ...push.headers, 'x-github-delivery': deliveryId };
}
