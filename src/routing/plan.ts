import { renderTemplate } from '../config/template.js';
import { routeTarget, type RouteRule, type Rules } from '../config/rules.js';
import type { DeploymentTarget } from '../qovery/targets.js';
import type { NormalizedEvent } from '../sources/types.js';
import { compileImagePattern, compilePattern, compileSemver, type Matcher } from './patterns.js';

/** What one matched route asks the worker to do. */
export interface DeployRequest {
  readonly route: string;
  readonly target: DeploymentTarget;
  readonly forceEvent?: string;
  readonly imageTag?: string;
  readonly gitCommitId?: string;
  readonly allowDowngrade: boolean;
  /** Cancel this deployment at Qovery when a newer one supersedes it while Qovery still has it queued. */
  readonly cancelSuperseded?: boolean;
  /** Index of the event within the delivery that produced this request. */
  readonly eventIndex: number;
}

export type RoutePlan = { readonly matched: true; readonly requests: readonly DeployRequest[] } | { readonly matched: false; readonly reason: string };

type Check = { readonly key: string; readonly describe: string; readonly test: (event: NormalizedEvent) => string | undefined };

interface CompiledRoute {
  readonly rule: RouteRule;
  readonly target: DeploymentTarget;
  readonly sources: ReadonlySet<string>;
  readonly checks: readonly Check[];
}

function valueCheck(key: 'repository' | 'image' | 'branch' | 'tag' | 'event', pattern: string, matcher: Matcher): Check {
  return {
    key,
    describe: pattern,
    test: (event) => {
      const value = event[key];
      if (value === undefined) return `the event has no ${key} (route wants ${key} "${pattern}")`;
      return matcher(value) ? undefined : `${key} "${value}" does not match "${pattern}"`;
    },
  };
}

function compileChecks(match: RouteRule['match']): Check[] {
  const checks: Check[] = [];
  if (match.event) checks.push(valueCheck('event', match.event, compilePattern(match.event)));
  // Providers report repositories lower-case, so the pattern is matched ignoring case.
  if (match.repository) checks.push(valueCheck('repository', match.repository, compilePattern(match.repository, { ignoreCase: true })));
  if (match.image) checks.push(valueCheck('image', match.image, compileImagePattern(match.image)));
  if (match.branch) checks.push(valueCheck('branch', match.branch, compilePattern(match.branch)));
  if (typeof match.tag === 'string') checks.push(valueCheck('tag', match.tag, compilePattern(match.tag)));
  if (typeof match.tag === 'object') {
    const range = match.tag.semver;
    checks.push(valueCheck('tag', `semver ${range}`, compileSemver(match.tag)));
  }
  if (match.paths) {
    const matchers = match.paths.map((p) => compilePattern(p));
    checks.push({
      key: 'paths',
      describe: match.paths.join(', '),
      // A push whose changed files are unknown still deploys: skipping it silently is worse.
      test: (event) =>
        event.paths === undefined || event.paths.some((path) => matchers.some((m) => m(path)))
          ? undefined
          : `no changed file matches paths ${match.paths?.join(', ')}`,
    });
  }
  return checks;
}

function deployValue(rule: RouteRule, event: NormalizedEvent): { imageTag?: string; gitCommitId?: string } | string {
  if (rule.deploy === 'commit') return event.commit ? { gitCommitId: event.commit } : 'the event carries no commit to deploy';
  if (rule.deploy === 'tag') return event.tag ? { imageTag: event.tag } : 'the event carries no tag to deploy (deploy: tag)';
  const rendered = renderTemplate(rule.deploy.tag, event);
  return rendered.ok ? { imageTag: rendered.value } : `the tag template needs {${rendered.missing}}, which the event does not carry`;
}

/** Compiled once per rules version: patterns are not re-parsed on the webhook path. */
export function compileRoutes(rules: Rules): (source: string, events: readonly NormalizedEvent[]) => RoutePlan {
  const routes: CompiledRoute[] = rules.routes.map((rule) => ({
    rule,
    target: routeTarget(rule),
    sources: new Set([rule.source].flat()),
    checks: compileChecks(rule.match),
  }));

  return (source, events) => {
    const requests: DeployRequest[] = [];
    let closest: { passed: number; reason: string } | undefined;
    const candidates = routes.filter((route) => route.sources.has(source));
    events.forEach((event, eventIndex) => {
      for (const route of candidates) {
        const failedAt = route.checks.findIndex((check) => check.test(event) !== undefined);
        const value = failedAt === -1 ? deployValue(route.rule, event) : undefined;
        if (value !== undefined && typeof value !== 'string') {
          requests.push({
            route: route.rule.name,
            target: route.target,
            ...(route.rule.target.forceEvent && { forceEvent: route.rule.target.forceEvent }),
            ...value,
            allowDowngrade: route.rule.allowDowngrade,
            ...(route.rule.cancelSuperseded && { cancelSuperseded: true }),
            eventIndex,
          });
          continue;
        }
        const passed = failedAt === -1 ? route.checks.length : failedAt;
        // Worded only for a route closer than the closest so far: with many routes, most are not.
        if (closest && passed <= closest.passed) continue;
        const why = typeof value === 'string' ? value : (route.checks[failedAt]?.test(event) ?? 'did not match');
        closest = { passed, reason: `route "${route.rule.name}": ${why}` };
      }
    });
    if (requests.length > 0) return { matched: true, requests };
    if (candidates.length === 0) return { matched: false, reason: `no route uses source "${source}"` };
    return { matched: false, reason: `no route matched; closest: ${closest?.reason ?? 'none'}` };
  };
}

export type RouteCompiler = ReturnType<typeof compileRoutes>;
