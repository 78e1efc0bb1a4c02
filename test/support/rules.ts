/**
 * Rules files for tests that need one source and routes from `repository`@`branch` to jobs: the
 * common shape of most tests, written once.
 */
export interface RouteSpec {
  readonly jobId: string;
  readonly repository?: string;
  readonly name?: string;
}

export function commitRules(options: { source: 'github' | 'ci'; secret?: string; routes: readonly RouteSpec[] }): string {
  const type = options.source === 'github' ? 'github' : 'generic';
  const secret = options.secret ?? (type === 'github' ? 'gh-secret-for-tests' : 'ci-secret-for-fault-tests');
  const routes = options.routes
    .map(
      (r, i) => `
  - name: ${r.name ?? (i === 0 ? 'api-main' : `route-${i}`)}
    source: ${options.source}
    match: { repository: ${r.repository ?? 'acme/api'}, branch: main }
    target: { jobId: ${r.jobId} }
    deploy: commit`,
    )
    .join('');
  return `
sources:
  - name: ${options.source}
    type: ${type}
    secret: ${secret}
routes:${routes}
`;
}

/**
 * One route per job on source `ci`, pushes to `acme/svc-<n>` deploying job n, so newest-wins only
 * ever compares pushes for the same job. The secret comes from `${CI_WEBHOOK_SECRET}`, which lets
 * the same file configure worker processes.
 */
export function routePerJobRules(jobs: number, jobIdOf: (n: number) => string): string {
  return commitRules({
    source: 'ci',
    secret: '${CI_WEBHOOK_SECRET}',
    routes: Array.from({ length: jobs }, (_, n) => ({ name: `svc-${n}`, repository: `acme/svc-${n}`, jobId: jobIdOf(n) })),
  });
}
