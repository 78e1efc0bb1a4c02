import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import semver from 'semver';
import { providerFor } from '../sources/registry.js';
import { MAX_TOKEN_LENGTH, SOURCE_KEYS, type SourceKey } from '../sources/types.js';
import { credentialsOf, describeEmpty, isEmptyCredential, isPlaceholder, withoutSources, type RawCredential } from './credentials.js';
import { ConfigError, formatIssues } from './errors.js';
import { interpolateEnv } from './interpolate.js';
import { COMMIT_STATUS_HOST_TYPES, defaultApiUrlOf, isCommitStatusHost } from '../notify/commit-status.js';
import { DEPLOYMENT_STATUSES } from '../history/model.js';
import { templateProblems } from './template.js';
import {
  aKind,
  FORCE_EVENTS,
  isRelease,
  TARGET_KIND_NAMES,
  TARGET_KINDS,
  type DeploymentTarget,
  type DeployMode,
  type Target,
  type TargetKind,
} from '../qovery/targets.js';

/** A glob or `/regex/flags`; a regex that does not compile is named here, not at the first webhook. */
const pattern = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const regex = /^\/(.+)\/([a-z]*)$/.exec(value);
    if (!regex) return;
    try {
      new RegExp(regex[1] ?? '', regex[2]);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
    }
  });
/** How each source key is validated; `satisfies` makes a key added to SOURCE_KEYS fail here until it is. */
const sourceKeySchemas = {
  secret: z.string().min(1).optional(),
  token: z.string().min(8, 'must be at least 8 characters').max(MAX_TOKEN_LENGTH, `must be at most ${MAX_TOKEN_LENGTH} characters`).optional(),
  signingSecret: z.string().min(1).optional(),
  header: z
    .object({ name: z.string().min(1).default('Authorization'), value: z.string().min(1) })
    .strict()
    .optional(),
  registryHost: z.string().min(1).optional(),
} satisfies Record<SourceKey, z.ZodType>;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** A git source may report each deployment's result on its commit. */
const commitStatusSchema = z.object({ token: z.string().min(1), apiUrl: httpUrl.optional() }).strict();

const sourceSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_" (it is a URL path segment)'),
    type: z.string(),
    ...sourceKeySchemas,
    commitStatus: commitStatusSchema.optional(),
  })
  .strict()
  .superRefine((source, ctx) => {
    if (source.commitStatus !== undefined) {
      if (!isCommitStatusHost(source.type)) {
        ctx.addIssue({
          code: 'custom',
          path: ['commitStatus'],
          message: `commit statuses are set on ${COMMIT_STATUS_HOST_TYPES.join(', ')} only, not ${source.type}`,
        });
      } else if (source.commitStatus.apiUrl === undefined && defaultApiUrlOf(source.type) === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['commitStatus', 'apiUrl'],
          message: `required for type ${source.type}: its API's address, e.g. https://git.example.com/api/v1`,
        });
      }
    }
    const provider = providerFor(source.type);
    if (!provider) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: `unknown source type "${source.type}"` });
      return;
    }
    for (const key of provider.requiredKeys) {
      if (source[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required for type ${source.type}` });
    }
    const alternatives = provider.oneOfKeys ?? [];
    const present = alternatives.filter((key) => source[key] !== undefined);
    if (alternatives.length > 0 && present.length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: `type ${source.type} needs one of: ${alternatives.join(', ')}` });
    }
    if (provider.oneOfExclusive && present.length > 1) {
      ctx.addIssue({ code: 'custom', path: [], message: `type ${source.type} takes only one of: ${alternatives.join(', ')}` });
    }
    if (provider.tokenInPath && source.token !== undefined && !/^[A-Za-z0-9._~-]+$/.test(source.token)) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'travels in the URL path: use only letters, digits, ".", "_", "~" and "-"' });
    }
    const allowed = new Set([...provider.requiredKeys, ...(provider.optionalKeys ?? [])]);
    for (const key of SOURCE_KEYS) {
      if (source[key] !== undefined && !allowed.has(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `not used by type ${source.type}` });
      }
    }
  });

const semverTag = z
  .object({ semver: z.string().refine((r) => semver.validRange(r) !== null, 'not a valid semver range'), includePrerelease: z.boolean().default(false) })
  .strict();

const matchSchema = z
  .object({
    repository: pattern.optional(),
    image: pattern.optional(),
    branch: pattern.optional(),
    tag: z.union([pattern, semverTag]).optional(),
    event: pattern.optional(),
    paths: z.array(pattern).min(1).optional(),
  })
  .strict();

const deploySchema = z.union([
  z.enum(['commit', 'tag']),
  z
    .object({
      tag: z
        .string()
        .min(1)
        .superRefine((t, ctx) => templateProblems(t).forEach((message) => ctx.addIssue({ code: 'custom', message }))),
    })
    .strict(),
]);

const serviceId = z.string().uuid();

const serviceKeys = Object.fromEntries(TARGET_KIND_NAMES.map((kind) => [TARGET_KINDS[kind].ruleKey, serviceId.optional()])) as Record<
  (typeof TARGET_KINDS)[TargetKind]['ruleKey'],
  z.ZodOptional<typeof serviceId>
>;
const SERVICE_KEYS = TARGET_KIND_NAMES.map((kind) => TARGET_KINDS[kind].ruleKey);

function exactlyOne(target: Partial<Record<string, unknown>>, keys: readonly string[], ctx: z.RefinementCtx, what: string): void {
  const named = keys.filter((key) => target[key] !== undefined);
  if (named.length === 1) return;
  const found = named.length === 0 ? 'none' : named.join(' and ');
  ctx.addIssue({ code: 'custom', message: `name exactly one ${what}: ${keys.join(', ')} (found ${found})` });
}

/** One service of a release: exactly one of the kinds' keys. */
const releasedServiceSchema = z
  .object(serviceKeys)
  .strict()
  .superRefine((service, ctx) => exactlyOne(service, SERVICE_KEYS, ctx, 'service'));

/**
 * Exactly one of the kinds' keys (`jobId`, `applicationId`, `containerId`, `helmId`), or an
 * `environmentId` with the `services` released together in one call.
 */
const targetSchema = z
  .object({
    ...serviceKeys,
    environmentId: serviceId.optional(),
    services: z.array(releasedServiceSchema).min(1).optional(),
    forceEvent: z.enum(FORCE_EVENTS).optional(),
  })
  .strict()
  .superRefine((target, ctx) => {
    exactlyOne(target, [...SERVICE_KEYS, 'environmentId'], ctx, 'service');
    if ((target.environmentId === undefined) !== (target.services === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['services'], message: 'an environmentId and its services go together: the services are what the release deploys' });
    }
    const ids = (target.services ?? []).map((service) => routeServiceOf(service).id);
    const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
    if (repeated) ctx.addIssue({ code: 'custom', path: ['services'], message: `service ${repeated} is listed twice` });
    const kind = targetKindOf(target);
    const allowed: readonly string[] = kind ? TARGET_KINDS[kind].forceEvents : [];
    if (target.forceEvent !== undefined && !allowed.includes(target.forceEvent)) {
      const takes = allowed.length > 0 ? `takes ${allowed.join(', ')}` : 'takes none';
      const what = kind ? aKind(kind) : target.environmentId !== undefined ? 'a release' : 'this target';
      ctx.addIssue({ code: 'custom', path: ['forceEvent'], message: `${what} ${takes}, not forceEvent ${target.forceEvent}` });
    }
  });

const routeSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "-" or "_"'),
    source: z.union([z.string(), z.array(z.string()).min(1)]),
    match: matchSchema.default({}),
    target: targetSchema,
    deploy: deploySchema,
    allowDowngrade: z.boolean().default(false),
    cancelSuperseded: z.boolean().default(false),
  })
  .strict()
  .superRefine((route, ctx) => {
    const mode = typeof route.deploy === 'string' ? route.deploy : 'tag';
    const target = routeTarget(route);
    for (const service of isRelease(target) ? target.services : [target]) {
      const modes: readonly DeployMode[] = TARGET_KINDS[service.kind].modes;
      if (modes.includes(mode)) continue;
      const which = isRelease(target) ? `${aKind(service.kind)} in its release (${service.id})` : aKind(service.kind);
      ctx.addIssue({ code: 'custom', path: ['deploy'], message: `route "${route.name}": ${which} is deployed by ${modes.join(' or ')}, not by ${mode}` });
    }
  });

/** Which kind of service a target names (the schema allows exactly one). */
function targetKindOf(target: Partial<Record<string, unknown>>): TargetKind | undefined {
  return TARGET_KIND_NAMES.find((kind) => target[TARGET_KINDS[kind].ruleKey] !== undefined);
}

function routeServiceOf(service: Partial<Record<string, unknown>>): Target {
  const kind = targetKindOf(service) ?? 'job';
  return { kind, id: String(service[TARGET_KINDS[kind].ruleKey]) };
}

/** What a route deploys: one service, or an environment's services together. */
export function routeTarget(route: RouteRule): DeploymentTarget {
  const { environmentId, services } = route.target;
  if (environmentId !== undefined && services) return { kind: 'environment', id: environmentId, services: services.map(routeServiceOf) };
  return routeServiceOf(route.target);
}

/**
 * Who is told about deployments: a Slack incoming webhook (a readable message) or any HTTP
 * receiver (the event as signed JSON). `on` names the statuses; the no-op ones (ignored,
 * superseded) only when listed.
 */
const notificationSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "-" or "_"'),
    on: z.array(z.enum(DEPLOYMENT_STATUSES)).min(1).default(['succeeded', 'failed', 'timed_out']),
    routes: z.array(z.string()).min(1).optional(),
    slack: z.object({ url: httpUrl }).strict().optional(),
    webhook: z
      .object({ url: httpUrl, secret: z.string().min(16, 'must be at least 16 characters') })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((n, ctx) => {
    if ((n.slack === undefined) === (n.webhook === undefined)) ctx.addIssue({ code: 'custom', message: 'name exactly one receiver: slack or webhook' });
  });

const rulesSchema = z
  .object({ sources: z.array(sourceSchema).min(1), routes: z.array(routeSchema).default([]), notifications: z.array(notificationSchema).default([]) })
  .strict()
  .superRefine((rules, ctx) => {
    const notificationNames = new Set<string>();
    rules.notifications.forEach((n, i) => {
      if (notificationNames.has(n.name))
        ctx.addIssue({ code: 'custom', path: ['notifications', i, 'name'], message: `duplicate notification name "${n.name}"` });
      notificationNames.add(n.name);
      for (const route of n.routes ?? []) {
        if (!rules.routes.some((r) => r.name === route))
          ctx.addIssue({ code: 'custom', path: ['notifications', i, 'routes'], message: `no route is named "${route}"` });
      }
    });
    const names = new Set<string>();
    rules.sources.forEach((s, i) => {
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'name'], message: `duplicate source name "${s.name}"` });
      names.add(s.name);
    });
    const routeNames = new Set<string>();
    rules.routes.forEach((route, i) => {
      if (routeNames.has(route.name)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `duplicate route name "${route.name}"` });
      routeNames.add(route.name);
      for (const source of [route.source].flat()) {
        if (!names.has(source)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'source'], message: `no source is named "${source}"` });
      }
    });
  });

export type Rules = z.infer<typeof rulesSchema>;
export type RouteRule = Rules['routes'][number];
export type SourceRule = Rules['sources'][number];
export type NotificationRule = Rules['notifications'][number];
export type TagMatch = z.infer<typeof semverTag>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

export interface ReadRulesOptions {
  /** Names the file in the summary, e.g. `rules file ./relay.config.yaml`. */
  readonly origin?: string;
  /**
   * `leave-out`: a source whose credential is empty is left out with a warning, with the routes
   * that used only it (the relay, so a first run with blank secrets still starts). `refuse`: it is
   * a problem (check-config, and every caller that wants the file exactly as written).
   */
  readonly emptyCredentials?: 'leave-out' | 'refuse';
  /** `refuse` in live mode; `warn` in a dry run, where nothing reaches Qovery; `allow` to say nothing. */
  readonly placeholders?: 'refuse' | 'warn' | 'allow';
}

/** What reading a rules file found: the rules when nothing is wrong, else every problem at once. */
export interface RulesReading {
  readonly summary: string;
  readonly rules?: Rules;
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

const startsWith = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]) => prefix.every((part, i) => path[i] === part);

/** Problems and warnings about credentials; the names of the sources to leave out. */
function reviewCredentials(credentials: readonly RawCredential[], options: ReadRulesOptions) {
  const problems: string[] = [];
  const warnings: string[] = [];
  const leftOut = new Set<string>();
  for (const c of credentials) {
    if (c.references.some((r) => r.state === 'unset')) continue; // reported as an unset variable
    const where = `sources.${c.sourceIndex}.${c.key}`;
    if (isEmptyCredential(c)) {
      if (options.emptyCredentials === 'leave-out') {
        leftOut.add(c.sourceName);
        warnings.push(`source ${c.sourceName} is left out: its ${c.key} is empty (${describeEmpty(c)}); its webhooks answer 404 until it is set`);
      } else {
        problems.push(`${where}: is empty (${describeEmpty(c)})`);
      }
    } else if (isPlaceholder(c.value) && options.placeholders !== 'allow') {
      const via = c.references.map((r) => `\${${r.name}}`).join(', ');
      const what = `holds the example's placeholder (a value containing "change-me")${via ? ` from ${via}` : ''}`;
      if (options.placeholders === 'refuse') problems.push(`${where}: ${what}; live mode needs a real secret`);
      else warnings.push(`source ${c.sourceName}: its ${c.key} ${what}, which anyone can read in the examples; live mode refuses it`);
    }
  }
  return { problems, warnings, leftOut };
}

/**
 * Reads rules from text, reporting every problem at once as values (check-config prints them, the
 * relay refuses to start on any). YAML is a superset of JSON, so one parser reads both.
 */
export function readRules(text: string, env: Readonly<Record<string, string | undefined>>, options: ReadRulesOptions = {}): RulesReading {
  const origin = options.origin ?? 'rules file';
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return { summary: `Cannot read ${origin}`, problems: [(error as Error).message], warnings: [] };
  }
  const { value, missing, references } = interpolateEnv(raw, env);
  const credentials = credentialsOf(value, references);
  const review = reviewCredentials(credentials, options);
  const credentialPaths = new Set(credentials.map((c) => c.path.join('.')));
  const emptyElsewhere = [...new Set(references.filter((r) => r.state === 'empty' && !credentialPaths.has(r.path.join('.'))).map((r) => r.name))];
  const problems = [
    ...missing.map((name) => `\${${name}} is referenced but the environment variable is not set`),
    ...emptyElsewhere.map((name) => `\${${name}} is referenced but the environment variable is empty`),
    ...review.problems,
  ];
  const warnings = [...review.warnings];
  let doc = value;
  if (review.leftOut.size > 0 && doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const pruned = withoutSources(doc as Record<string, unknown>, review.leftOut);
    doc = pruned.doc;
    warnings.push(...pruned.warnings);
    if (Array.isArray(pruned.doc.sources) && pruned.doc.sources.length === 0) {
      problems.push(`every source is left out because its credential is empty (${[...review.leftOut].join(', ')}): set at least one`);
    }
  }
  // Where a variable was unset or empty, the schema's complaint about the blank value says less.
  const explained: readonly (readonly PropertyKey[])[] = [
    ...references.filter((r) => r.state !== 'set').map((r) => r.path),
    ...credentials.filter(isEmptyCredential).map((c) => c.path),
    ...(review.leftOut.size > 0 ? [['sources']] : []),
  ];
  const parsed = rulesSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.filter(
      (issue) => !explained.some((path) => startsWith(issue.path, path) && (path.length > 1 || issue.path.length === 1)),
    );
    problems.push(...formatIssues({ ...parsed.error, issues } as z.ZodError));
  }
  if (problems.length > 0 || !parsed.success) return { summary: `Invalid ${origin}`, problems, warnings };
  return { summary: `Valid ${origin}`, rules: deepFreeze(parsed.data), problems: [], warnings };
}

/** Parses rules exactly as written (an empty credential is an error), throwing one ConfigError listing every problem. */
export function parseRules(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  origin = 'rules file',
  options: Omit<ReadRulesOptions, 'origin'> = {},
): Rules {
  const reading = readRules(text, env, { origin, ...options });
  if (!reading.rules) throw new ConfigError(reading.summary, reading.problems);
  return reading.rules;
}

/** Reads the rules file's text; an unreadable file is a problem, reported like any other. */
async function readRulesFile(path: string): Promise<{ text: string } | { problems: string[] }> {
  try {
    return { text: await readFile(path, 'utf8') };
  } catch (error) {
    return { problems: [(error as Error).message, 'set RELAY_CONFIG to the path of your rules file'] };
  }
}

/** Reads and checks the rules file at `path`; see readRules for the options. */
export async function loadRulesReading(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  options: Omit<ReadRulesOptions, 'origin'> = {},
): Promise<RulesReading> {
  const file = await readRulesFile(path);
  if ('problems' in file) return { summary: `Cannot read rules file ${path}`, problems: file.problems, warnings: [] };
  return readRules(file.text, env, { origin: `rules file ${path}`, ...options });
}

export async function loadRules(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  options: Omit<ReadRulesOptions, 'origin'> = {},
): Promise<Rules> {
  const reading = await loadRulesReading(path, env, options);
  if (!reading.rules) throw new ConfigError(reading.summary, reading.problems);
  return reading.rules;
}
