import { z } from 'zod';
import { describeIssues, isoTime } from './payload.js';
import { normalizeImage, splitImageReference } from './image.js';
import { verifyPathToken } from './verify.js';
import type { ParseResult, Provider } from './types.js';

/**
 * Google Artifact Registry (and Container Registry) publish to the Pub/Sub topic `gcr`; a push
 * subscription delivers each message to us wrapped (the default):
 * `{ message: { data: base64(JSON), messageId, publishTime, attributes? }, subscription }`, where the
 * decoded data is `{ action: "INSERT" | "DELETE", digest?: "<image>@sha256:…", tag?: "<image>:<tag>" }`.
 * Pub/Sub has also sent the snake_case `message_id`/`publish_time`, so both spellings are read.
 *
 * Authentication is the token in the push endpoint's path. The stronger design is Pub/Sub's
 * authenticated push: verify the OIDC JWT in `Authorization: Bearer` (RS256, signed by a key from
 * Google's JWKS at https://www.googleapis.com/oauth2/v3/certs, `iss` accounts.google.com, `aud`
 * = the push endpoint URL or the configured audience, `email` = the subscription's service account,
 * `exp` in the future). That needs Google's keys fetched and cached at run time, which this
 * pure, offline `authenticate` cannot do, so it is left for a later, key-fetching verifier.
 */
const messageSchema = z
  .object({
    data: z.string().min(1),
    messageId: z.string().min(1).optional(),
    message_id: z.string().min(1).optional(),
    publishTime: z.string().optional(),
    publish_time: z.string().optional(),
  })
  .refine((m) => m.messageId !== undefined || m.message_id !== undefined, { message: 'Required', path: ['messageId'] });

const pushSchema = z.object({ message: messageSchema, subscription: z.string().optional() });

const notificationSchema = z.object({
  action: z.string().min(1),
  digest: z.string().optional(),
  tag: z.string().optional(),
});

/** The message data is base64 JSON; anything else is not an Artifact Registry notification. */
function decodeData(data: string): unknown {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(data)) return undefined;
  try {
    return JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export const gar: Provider = {
  type: 'gar',
  credentialHeaders: [],
  requiredKeys: ['token'],
  tokenInPath: true,
  authenticate(source, request) {
    return verifyPathToken(request, source.token ?? '', 'use POST /webhooks/<source>/<token> as the push endpoint');
  },
  parse(_source, _request, body): ParseResult {
    const parsed = pushSchema.safeParse(body);
    if (!parsed.success) return { kind: 'invalid', reason: describeIssues('Pub/Sub push', parsed.error) };
    const { message } = parsed.data;
    // Pub/Sub redelivers a message with the same id until it is acknowledged.
    const deliveryId = message.messageId ?? message.message_id ?? '';
    const decoded = notificationSchema.safeParse(decodeData(message.data));
    if (!decoded.success) return { kind: 'invalid', reason: describeIssues('Artifact Registry notification (message.data)', decoded.error) };
    const { action, digest, tag: reference } = decoded.data;
    if (action !== 'INSERT') {
      return {
        kind: 'ignored',
        deliveryId,
        event: action,
        reason: `Artifact Registry ${action} of ${reference ?? digest ?? 'an image'} does not deploy (only INSERT)`,
      };
    }
    // An upload by digest only (a platform manifest of a multi-arch image) carries no tag to route on.
    const { name, tag } = reference ? splitImageReference(reference) : { name: digest ?? '', tag: undefined };
    const pushedAt = isoTime(message.publishTime ?? message.publish_time);
    const sha = digest?.includes('@') ? digest.slice(digest.lastIndexOf('@') + 1) : undefined;
    const read = {
      event: action,
      ...(name && { image: normalizeImage(name) }),
      ...(sha && { digest: sha }),
      ...(pushedAt && { pushedAt }),
    };
    if (!tag) {
      return {
        kind: 'ignored',
        deliveryId,
        event: action,
        reason: `Artifact Registry INSERT of ${reference ?? digest ?? 'an image'} has no tag (pushed by digest)`,
        read,
      };
    }
    return { kind: 'events', deliveryId, event: action, events: [{ ...read, tag }] };
  },
};
