import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import semver from 'semver';
import { providerFor } from '../sources/registry.js';
import { MAX_TOKEN_LENGTH, SOURCE_KEYS, type SourceKey } from '../sources/types.js';
import { ConfigError, formatIssues } from './errors.js';
import { interpolateEnv } from './interpolate.js';
import { templateProblems } from './template.js';

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

const sourceSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_" (it is a URL path segment)'),
    type: z.string(),
    ...sourceKeySchemas,
  })
  .strict()
  .superRefine((source, ctx) => {
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

const routeSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "-" or "_"'),
    source: z.union([z.string(), z.array(z.string()).min(1)]),
    match: matchSchema.default({}),
    target: z.object({ jobId: z.string().uuid(), forceEvent: z.enum(['START', 'STOP', 'DELETE', 'CRON']).optional() }).strict(),
    deploy: deploySchema,
    allowDowngrade: z.boolean().default(false),
  })
  .strict();

const rulesSchema = z
  .object({ sources: z.array(sourceSchema).min(1), routes: z.array(routeSchema).default([]) })
  .strict()
  .superRefine((rules, ctx) => {
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
export type TagMatch = z.infer<typeof semverTag>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** Parses rules from text; YAML is a superset of JSON, so one parser reads both. */
export function parseRules(text: string, env: Readonly<Record<string, string | undefined>>, origin = 'rules file'): Rules {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Cannot read ${origin}`, [(error as Error).message]);
  }
  const { value, missing } = interpolateEnv(raw, env);
  if (missing.length > 0) {
    throw new ConfigError(
      `Invalid ${origin}`,
      missing.map((name) => `\${${name}} is referenced but the environment variable is not set`),
    );
  }
  const parsed = rulesSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`Invalid ${origin}`, formatIssues(parsed.error));
  return deepFreeze(parsed.data);
}

export async function loadRules(path: string, env: Readonly<Record<string, string | undefined>>): Promise<Rules> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read rules file ${path}`, [(error as Error).message, 'set RELAY_CONFIG to the path of your rules file']);
  }
  return parseRules(text, env, `rules file ${path}`);
}
