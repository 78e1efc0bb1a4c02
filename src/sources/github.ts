import { z } from 'zod';
import { normalizeImage } from './image.js';
import { branchOrTag, changedPaths, describeIssues, isoTime } from './payload.js';
import { header, verifyHexHmac } from './verify.js';
import type { NormalizedEvent, ParseResult, Provider } from './types.js';

const pushSchema = z.object({
  ref: z.string(),
  after: z.string(),
  deleted: z.boolean().optional(),
  repository: z.object({ full_name: z.string() }),
  head_commit: z.object({ id: z.string(), timestamp: z.string().optional() }).nullable().optional(),
  commits: z
    .array(
      z.object({
        added: z.array(z.string()).optional(),
        modified: z.array(z.string()).optional(),
        removed: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

type Push = z.infer<typeof pushSchema>;

function readPush(push: Push): NormalizedEvent {
  // GitHub lists at most 20 commits per push: a longer push's file list is unknown, not empty.
  const paths = push.commits && push.commits.length >= 20 ? undefined : changedPaths(push.commits);
  const pushedAt = isoTime(push.head_commit?.timestamp);
  return {
    event: 'push',
    repository: push.repository.full_name.toLowerCase(),
    ...branchOrTag(push.ref),
    // For an annotated tag `after` is the tag object, not a commit: head_commit is the commit.
    commit: push.head_commit?.id ?? push.after,
    ...(pushedAt && { pushedAt }),
    ...(paths && { paths }),
  };
}

function parsePush(deliveryId: string, body: unknown): ParseResult {
  const parsed = pushSchema.safeParse(body);
  if (!parsed.success) return { kind: 'invalid', reason: describeIssues('push', parsed.error) };
  const read = readPush(parsed.data);
  if (parsed.data.deleted || /^0+$/.test(parsed.data.after)) {
    return { kind: 'ignored', deliveryId, event: 'push', reason: `${parsed.data.ref} was deleted`, read };
  }
  if (read.branch === undefined && read.tag === undefined) {
    return { kind: 'ignored', deliveryId, event: 'push', reason: `ref ${parsed.data.ref} is neither a branch nor a tag`, read };
  }
  return { kind: 'events', deliveryId, event: 'push', events: [read] };
}

/**
 * GHCR announces images through `package` events (and the older `registry_package` name, same
 * shape under another key). A multi-arch push sends one event per manifest: the index carries the
 * tag, its per-platform child manifests arrive with an empty tag name and must not deploy.
 */
const packageSchema = z.object({
  name: z.string().min(1),
  package_type: z.string(),
  owner: z.object({ login: z.string().min(1) }),
  registry: z.object({ type: z.string().optional() }).nullable().optional(),
  // Read only once the event is known to be a container publish: other packages shape it differently.
  package_version: z.unknown(),
});

const containerVersionSchema = z.object({
  created_at: z.string().nullable().optional(),
  updated_at: z.string().nullable().optional(),
  container_metadata: z
    .object({ tag: z.object({ name: z.string(), digest: z.string().optional() }).nullable().optional() })
    .nullable()
    .optional(),
});

const packageEnvelopes = {
  package: z.object({ action: z.string(), package: packageSchema }),
  registry_package: z.object({ action: z.string(), registry_package: packageSchema }),
};

type Package = z.infer<typeof packageSchema>;

const DEPLOYING_PACKAGE_ACTIONS = new Set(['published', 'updated']);

/** GitHub fills unknown version times with Go's zero time (year 1); such a time says nothing. */
function knownTime(...values: ReadonlyArray<string | null | undefined>): string | undefined {
  for (const value of values) {
    const ms = value ? Date.parse(value) : NaN;
    if (Number.isFinite(ms) && ms > 0) return new Date(ms).toISOString();
  }
  return undefined;
}

function isContainer(pkg: Package): boolean {
  // Webhooks spell it `CONTAINER`, the REST API `container`; `docker` is the retired docker.pkg.github.com.
  return pkg.package_type.toLowerCase() === 'container' || pkg.registry?.type?.toLowerCase() === 'container';
}

function parsePackage(event: 'package' | 'registry_package', deliveryId: string, body: unknown): ParseResult {
  const parsed = packageEnvelopes[event].safeParse(body);
  if (!parsed.success) return { kind: 'invalid', reason: describeIssues(`GitHub ${event}`, parsed.error) };
  const action = parsed.data.action;
  const pkg = 'package' in parsed.data ? parsed.data.package : parsed.data.registry_package;
  if (!DEPLOYING_PACKAGE_ACTIONS.has(action)) {
    return { kind: 'ignored', deliveryId, event, reason: `package action "${action}" does not deploy` };
  }
  if (!isContainer(pkg)) {
    const reason = `package ${pkg.name} is of type ${pkg.package_type}, not a container image`;
    return { kind: 'ignored', deliveryId, event, reason };
  }
  const versioned = containerVersionSchema.safeParse(pkg.package_version);
  if (!versioned.success) return { kind: 'invalid', reason: describeIssues(`GitHub ${event} package_version`, versioned.error) };
  const version = versioned.data;
  const digest = version.container_metadata?.tag?.digest || undefined;
  const pushedAt = knownTime(version.updated_at, version.created_at);
  const read: NormalizedEvent = {
    event,
    image: normalizeImage(`ghcr.io/${pkg.owner.login}/${pkg.name}`),
    ...(digest && { digest }),
    ...(pushedAt && { pushedAt }),
  };
  const tag = version.container_metadata?.tag?.name;
  if (!tag) {
    const reason = `untagged manifest${digest ? ` ${digest}` : ''} (a child of a multi-arch image): only the tagged index deploys`;
    return { kind: 'ignored', deliveryId, event, reason, read };
  }
  return { kind: 'events', deliveryId, event, events: [{ ...read, tag }] };
}

export const github: Provider = {
  type: 'github',
  credentialHeaders: ['x-hub-signature-256'],
  requiredKeys: ['secret'],
  authenticate(source, request) {
    return verifyHexHmac(request, {
      header: 'x-hub-signature-256',
      prefix: 'sha256=',
      algorithm: 'sha256',
      secret: source.secret ?? '',
    });
  },
  parse(_source, request, body) {
    const event = header(request, 'x-github-event');
    const deliveryId = header(request, 'x-github-delivery');
    if (!event) return { kind: 'invalid', reason: 'missing X-GitHub-Event header' };
    if (!deliveryId) return { kind: 'invalid', reason: 'missing X-GitHub-Delivery header' };
    switch (event) {
      case 'ping':
        return { kind: 'ping', deliveryId, event };
      case 'push':
        return parsePush(deliveryId, body);
      case 'package':
      case 'registry_package':
        return parsePackage(event, deliveryId, body);
      default:
        return { kind: 'ignored', deliveryId, event, reason: `GitHub event "${event}" does not deploy` };
    }
  },
};
