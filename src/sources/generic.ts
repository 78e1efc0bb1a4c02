import { z } from 'zod';
import { normalizeImage } from './image.js';
import { describeIssues, isoTime } from './payload.js';
import { deriveDeliveryId, header, verifyFreshTimestamp, verifyHexHmac } from './verify.js';
import type { Provider } from './types.js';

/**
 * Our own webhook, for CI pipelines that call the relay directly after a build. The body:
 *
 *   {
 *     "repository": "acme/api",                       git repository (owner/name)   } at least
 *     "image": "registry.example.com/acme/api",       image name, without its tag   } one of these
 *     "branch": "main",                                                             } at least
 *     "tag": "v1.2.3",                                git or image tag              } one of
 *     "commit": "<sha>",                                                            } these three
 *     "pushedAt": "2026-11-20T10:15:44Z",             optional ISO-8601 time of the push
 *     "event": "push",                                optional, defaults to "push"
 *     "id": "<delivery id>"                           optional; the X-Relay-Delivery header wins
 *   }
 *
 * Unknown keys are refused so that a misspelt field cannot silently deploy something else.
 *
 * Signature: `X-Relay-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with secret>`.
 * With the optional `X-Relay-Timestamp: <unix seconds>`, the signed data is `<timestamp>.<body>`
 * instead and the timestamp must be within 5 minutes of now, which bounds replays.
 *
 *   ts=$(date +%s)
 *   sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" -hex | cut -d' ' -f2)
 *   curl -H "X-Relay-Timestamp: $ts" -H "X-Relay-Signature: sha256=$sig" -d "$body" .../webhooks/<source>
 */
const genericSchema = z
  .strictObject({
    repository: z.string().min(1).optional(),
    image: z.string().min(1).optional(),
    branch: z.string().min(1).optional(),
    tag: z.string().min(1).optional(),
    commit: z.string().min(1).optional(),
    pushedAt: z.iso.datetime({ offset: true }).optional(),
    event: z.string().min(1).optional(),
    id: z.string().min(1).max(200).optional(),
  })
  .refine((b) => b.repository || b.image, { message: 'repository or image is required', path: ['repository'] })
  .refine((b) => b.branch || b.tag || b.commit, { message: 'branch, tag or commit is required', path: ['branch'] });

export const generic: Provider = {
  type: 'generic',
  credentialHeaders: ['x-relay-signature'],
  requiredKeys: ['secret'],
  optionalKeys: ['registryHost'],
  authenticate(source, request) {
    const timestamp = header(request, 'x-relay-timestamp');
    if (timestamp !== undefined) {
      const fresh = verifyFreshTimestamp('X-Relay-Timestamp', timestamp, request.now);
      if (!fresh.ok) return fresh;
    }
    // The timestamp is inside the signed data, so it can be neither changed nor stripped.
    return verifyHexHmac(request, {
      header: 'X-Relay-Signature',
      prefix: 'sha256=',
      algorithm: 'sha256',
      secret: source.secret ?? '',
      ...(timestamp !== undefined && { signed: Buffer.concat([Buffer.from(`${timestamp}.`), request.rawBody]), what: 'timestamp and body' }),
    });
  },
  parse(source, request, body) {
    const parsed = genericSchema.safeParse(body);
    if (!parsed.success) return { kind: 'invalid', reason: describeIssues('generic', parsed.error) };
    const b = parsed.data;
    const event = b.event ?? 'push';
    const image = b.image === undefined ? undefined : normalizeImage(b.image, source.registryHost);
    const pushedAt = isoTime(b.pushedAt);
    // A CI retry re-sends the same push (its timestamp may change, so it is left out); another
    // push differs in commit, tag or push time.
    const deliveryId =
      header(request, 'x-relay-delivery') ?? b.id ?? deriveDeliveryId(source.name, event, b.repository, image, b.branch, b.tag, b.commit, pushedAt);
    return {
      kind: 'events',
      deliveryId,
      event,
      events: [
        {
          event,
          ...(b.repository && { repository: b.repository.toLowerCase() }),
          ...(image && { image }),
          ...(b.branch && { branch: b.branch }),
          ...(b.tag && { tag: b.tag }),
          ...(b.commit && { commit: b.commit }),
          ...(pushedAt && { pushedAt }),
        },
      ],
    };
  },
};
