import { z } from 'zod';
import { branchOrTag, changedPaths, describeIssues, isoTime } from './payload.js';
import { deriveDeliveryId, header, refuse, verifyHexHmac } from './verify.js';
import type { NormalizedEvent, ParseResult, Provider, WebhookRequest } from './types.js';

/**
 * Gitea and its fork Forgejo send a GitHub-shaped push payload. Each sends its headers under its
 * own name (Forgejo also repeats them under the Gitea names, and both under the Gogs names):
 * the event, a delivery UUID, and the bare-hex HMAC-SHA256 of the body.
 */

function firstHeader(request: WebhookRequest, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = header(request, name);
    if (value) return value;
  }
  return undefined;
}

const pushSchema = z.object({
  ref: z.string(),
  before: z.string().optional(),
  after: z.string(),
  repository: z.object({ full_name: z.string().min(1) }),
  head_commit: z.object({ id: z.string(), timestamp: z.string().optional() }).nullable().optional(),
  commits: z
    .array(
      z.object({
        added: z.array(z.string()).nullable().optional(),
        modified: z.array(z.string()).nullable().optional(),
        removed: z.array(z.string()).nullable().optional(),
      }),
    )
    .nullable()
    .optional(),
  total_commits: z.number().optional(),
});

type Push = z.infer<typeof pushSchema>;

function readPush(push: Push): NormalizedEvent {
  const paths = changedPaths(push.commits, push.total_commits);
  const pushedAt = isoTime(push.head_commit?.timestamp ?? undefined);
  return {
    event: 'push',
    repository: push.repository.full_name.toLowerCase(),
    ...branchOrTag(push.ref),
    commit: push.head_commit?.id || push.after,
    ...(pushedAt && { pushedAt }),
    ...(paths && { paths }),
  };
}

function parsePush(deliveryId: string, body: unknown): ParseResult {
  const parsed = pushSchema.safeParse(body);
  if (!parsed.success) return { kind: 'invalid', reason: describeIssues('Gitea push', parsed.error) };
  const read = readPush(parsed.data);
  if (/^0+$/.test(parsed.data.after)) {
    return { kind: 'ignored', deliveryId, event: 'push', reason: `${parsed.data.ref} was deleted`, read };
  }
  if (read.branch === undefined && read.tag === undefined) {
    const reason = `ref ${parsed.data.ref} is neither a branch nor a tag`;
    return { kind: 'ignored', deliveryId, event: 'push', reason, read };
  }
  return { kind: 'events', deliveryId, event: 'push', events: [read] };
}

export const gitea: Provider = {
  type: 'gitea',
  credentialHeaders: ['x-gitea-signature', 'x-forgejo-signature'],
  requiredKeys: ['secret'],
  authenticate(source, request) {
    // Forgejo's own header wins when present, so a forged Gitea-named copy cannot stand in for it.
    const name = header(request, 'x-forgejo-signature') ? 'X-Forgejo-Signature' : 'X-Gitea-Signature';
    if (!header(request, name.toLowerCase())) return refuse('missing X-Gitea-Signature (or X-Forgejo-Signature) header');
    return verifyHexHmac(request, { header: name, algorithm: 'sha256', secret: source.secret ?? '' });
  },
  parse(source, request, body) {
    const event = firstHeader(request, 'x-forgejo-event', 'x-gitea-event', 'x-gogs-event');
    if (!event) return { kind: 'invalid', reason: 'missing X-Gitea-Event (or X-Forgejo-Event) header' };
    // Both always send a delivery UUID; without one, a retry repeats the exact body.
    const deliveryId =
      firstHeader(request, 'x-forgejo-delivery', 'x-gitea-delivery', 'x-gogs-delivery') ??
      deriveDeliveryId(source.name, event, request.rawBody.toString('utf8'));
    if (event === 'push') return parsePush(deliveryId, body);
    return { kind: 'ignored', deliveryId, event, reason: `Gitea event "${event}" does not deploy` };
  },
};
