import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { branchOrTag, changedPaths, describeIssues, isoTime } from './payload.js';
import { hmac, secretsEqual } from '../shared/crypto.js';
import { AUTH_OK, deriveDeliveryId, header, refuse, signedBy, verifyFreshTimestamp } from './verify.js';
import type { AuthResult, NormalizedEvent, ParseResult, Provider, WebhookRequest } from './types.js';

/**
 * GitLab authenticates a hook in two independent ways, and a source may use either or both:
 * the long-standing `X-Gitlab-Token` (a shared token sent in clear) and the newer signing token
 * (`whsec_...`), which signs each delivery the Standard Webhooks way.
 */

const DEPLOYING_EVENTS = new Set(['Push Hook', 'Tag Push Hook']);

function verifyToken(expected: string, request: WebhookRequest): AuthResult {
  const received = header(request, 'x-gitlab-token');
  if (!received) return refuse('missing X-Gitlab-Token header');
  return secretsEqual(received, expected) ? AUTH_OK : refuse('X-Gitlab-Token does not match the configured token');
}

/** A signing token is `whsec_` followed by the base64 of the raw HMAC key. */
function signingKey(signingSecret: string): Buffer | undefined {
  const encoded = signingSecret.startsWith('whsec_') ? signingSecret.slice('whsec_'.length) : signingSecret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length > 0 ? key : undefined;
}

/** The base64 of a 32-byte HMAC-SHA256, padding included and nothing after it. */
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

function signatureMatches(entry: string, expected: Buffer): boolean {
  const comma = entry.indexOf(',');
  if (comma === -1 || entry.slice(0, comma) !== 'v1') return false;
  const encoded = entry.slice(comma + 1);
  // Node's base64 decoder skips what follows the padding; a strict shape keeps one signature one string.
  if (!BASE64_SHA256.test(encoded)) return false;
  return timingSafeEqual(Buffer.from(encoded, 'base64'), expected);
}

function verifySignature(signingSecret: string, request: WebhookRequest): AuthResult {
  const id = header(request, 'webhook-id');
  const timestamp = header(request, 'webhook-timestamp');
  const signatures = header(request, 'webhook-signature');
  if (!id) return refuse('missing webhook-id header');
  if (!signatures) return refuse('missing webhook-signature header');
  const fresh = verifyFreshTimestamp('webhook-timestamp', timestamp, request.now);
  if (!fresh.ok) return fresh;
  const key = signingKey(signingSecret);
  if (!key) return refuse('the configured signingSecret is not a GitLab signing token (whsec_<base64>)');
  const expected = hmac('sha256', key, Buffer.concat([Buffer.from(`${id}.${timestamp}.`), request.rawBody]));
  // Several space-separated signatures may be sent (key rotation); one match is enough.
  return signatures.split(' ').some((entry) => signatureMatches(entry, expected))
    ? signedBy(expected.toString('hex'))
    : refuse('webhook-signature does not match the body signed with the configured signingSecret');
}

const pushSchema = z.object({
  ref: z.string(),
  before: z.string().nullable().optional(),
  after: z.string().nullable(),
  checkout_sha: z.string().nullable().optional(),
  project: z.object({ path_with_namespace: z.string().min(1) }),
  commits: z
    .array(
      z.object({
        id: z.string(),
        timestamp: z.string().optional(),
        added: z.array(z.string()).optional(),
        modified: z.array(z.string()).optional(),
        removed: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  total_commits_count: z.number().optional(),
});

type Push = z.infer<typeof pushSchema>;

const isZeroSha = (sha: string | null | undefined): boolean => sha === null || (sha !== undefined && /^0+$/.test(sha));

function readPush(event: string, push: Push): NormalizedEvent {
  // For an annotated tag `after` is the tag object; checkout_sha is the commit to deploy.
  const commit = push.checkout_sha ?? push.after ?? undefined;
  const timestamp = push.commits?.find((c) => c.id === commit)?.timestamp;
  // GitLab lists at most 20 commits per push: changedPaths leaves out the files of a longer one.
  const paths = changedPaths(push.commits, push.total_commits_count);
  const pushedAt = isoTime(timestamp);
  return {
    event,
    repository: push.project.path_with_namespace.toLowerCase(),
    ...branchOrTag(push.ref),
    ...(commit && !isZeroSha(commit) && { commit }),
    ...(pushedAt && { pushedAt }),
    ...(paths && { paths }),
  };
}

/** Idempotency-Key is kept across GitLab's retries; older instances send only the event UUID. */
function deliveryHeader(request: WebhookRequest): string | undefined {
  return header(request, 'idempotency-key') ?? header(request, 'x-gitlab-event-uuid') ?? header(request, 'webhook-id');
}

function parsePush(event: string, request: WebhookRequest, sourceName: string, body: unknown): ParseResult {
  const parsed = pushSchema.safeParse(body);
  if (!parsed.success) return { kind: 'invalid', reason: describeIssues(`GitLab ${event}`, parsed.error) };
  const push = parsed.data;
  // Instances without delivery headers: a retry repeats the same ref move, another push does not.
  const deliveryId = deliveryHeader(request) ?? deriveDeliveryId(sourceName, push.project.path_with_namespace, push.ref, push.before ?? '', push.after ?? '');
  const read = readPush(event, push);
  if (isZeroSha(push.after) || isZeroSha(push.checkout_sha)) {
    return { kind: 'ignored', deliveryId, event, reason: `${push.ref} was deleted`, read };
  }
  if (read.branch === undefined && read.tag === undefined) {
    return { kind: 'ignored', deliveryId, event, reason: `ref ${push.ref} is neither a branch nor a tag`, read };
  }
  return { kind: 'events', deliveryId, event, events: [read] };
}

export const gitlab: Provider = {
  type: 'gitlab',
  credentialHeaders: ['x-gitlab-token', 'webhook-signature'],
  // Either key authenticates on its own, so neither is required by itself; authenticate refuses
  // a source that configures none.
  requiredKeys: [],
  optionalKeys: ['token', 'signingSecret'],
  oneOfKeys: ['token', 'signingSecret'],
  authenticate(source, request) {
    if (!source.token && !source.signingSecret) {
      return refuse('this GitLab source has neither token nor signingSecret configured: set at least one');
    }
    if (source.token) {
      const result = verifyToken(source.token, request);
      if (!result.ok || !source.signingSecret) return result;
    }
    return verifySignature(source.signingSecret ?? '', request);
  },
  parse(source, request, body) {
    const event = header(request, 'x-gitlab-event');
    if (!event) return { kind: 'invalid', reason: 'missing X-Gitlab-Event header' };
    if (!DEPLOYING_EVENTS.has(event)) {
      const deliveryId = deliveryHeader(request) ?? deriveDeliveryId(source.name, event, request.rawBody.toString('utf8'));
      return { kind: 'ignored', deliveryId, event, reason: `GitLab event "${event}" does not deploy` };
    }
    return parsePush(event, request, source.name, body);
  },
};
