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
