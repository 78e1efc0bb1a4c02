import { z } from 'zod';
import { describeIssues, isoTime } from './payload.js';
import { deriveDeliveryId, header, verifyHexHmac } from './verify.js';
import type { NormalizedEvent, ParseResult, Provider } from './types.js';

/**
 * Bitbucket Cloud sends one `repo:push` per `git push`, listing every ref it moved in
 * `push.changes`: each moved branch or tag becomes its own event. A change whose `new` is null is
 * a deleted ref. Bitbucket lists no changed files, so these events carry no `paths`.
 */

const refStateSchema = z.object({
  type: z.string(),
  name: z.string().min(1),
  target: z.object({ hash: z.string().min(1), date: z.string().optional() }),
});

const pushSchema = z.object({
  push: z.object({
    changes: z.array(z.object({ new: refStateSchema.nullable(), old: refStateSchema.nullable().optional() })),
  }),
  repository: z.object({ full_name: z.string().min(1) }),
});

type RefState = z.infer<typeof refStateSchema>;

/** Bitbucket's documentation names `annotated_tag` too, though observed pushes report `tag`. */
const TAG_TYPES = new Set(['tag', 'annotated_tag']);

function readChange(event: string, repository: string, ref: RefState): NormalizedEvent | string {
  const isBranch = ref.type === 'branch';
  if (!isBranch && !TAG_TYPES.has(ref.type)) return `${ref.type} ${ref.name} is neither a branch nor a tag`;
  const pushedAt = isoTime(ref.target.date ?? undefined);
  return {
    event,
    repository,
    ...(isBranch ? { branch: ref.name } : { tag: ref.name }),
    commit: ref.target.hash,
    ...(pushedAt && { pushedAt }),
  };
}

function parsePush(event: string, deliveryId: string, body: unknown): ParseResult {
  const parsed = pushSchema.safeParse(body);
  if (!parsed.success) return { kind: 'invalid', reason: describeIssues('Bitbucket repo:push', parsed.error) };
  const { push, repository } = parsed.data;
  const events: NormalizedEvent[] = [];
  const skipped: string[] = [];
  for (const change of push.changes) {
    if (!change.new) {
      skipped.push(`${change.old?.type ?? 'ref'} ${change.old?.name ?? '(unknown)'} was deleted`);
      continue;
    }
    const read = readChange(event, repository.full_name.toLowerCase(), change.new);
    if (typeof read === 'string') skipped.push(read);
    else events.push(read);
  }
  if (events.length === 0) {
    return { kind: 'ignored', deliveryId, event, reason: skipped.join('; ') || 'the push changed no ref' };
  }
  return { kind: 'events', deliveryId, event, events, ...(skipped.length > 0 && { skipped }) };
}

export const bitbucket: Provider = {
  type: 'bitbucket',
  credentialHeaders: ['x-hub-signature'],
  requiredKeys: ['secret'],
  authenticate(source, request) {
    // Unlike GitHub, Bitbucket puts its SHA-256 signature in the un-suffixed X-Hub-Signature.
    return verifyHexHmac(request, {
      header: 'x-hub-signature',
      prefix: 'sha256=',
      algorithm: 'sha256',
      secret: source.secret ?? '',
    });
  },
  parse(source, request, body) {
    const event = header(request, 'x-event-key');
    if (!event) return { kind: 'invalid', reason: 'missing X-Event-Key header' };
    // Bitbucket always sends X-Request-UUID (X-Hook-UUID names the webhook, not the delivery);
    // without it, a retry repeats the exact body while another push moves refs to other commits.
    const deliveryId = header(request, 'x-request-uuid') ?? deriveDeliveryId(source.name, event, request.rawBody.toString('utf8'));
    if (event !== 'repo:push') {
      return { kind: 'ignored', deliveryId, event, reason: `Bitbucket event "${event}" does not deploy` };
    }
    return parsePush(event, deliveryId, body);
  },
};
