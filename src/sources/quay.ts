import { z } from 'zod';
import { describeIssues } from './payload.js';
import { normalizeImage } from './image.js';
import { deriveDeliveryId, verifyPathToken } from './verify.js';
import type { Provider } from './types.js';

/**
 * Quay (quay.io and Red Hat Quay) repository notifications with the "Webhook POST" method. The
 * body is the event data alone: no event-type header, no id, no time, no signature. Quay's
 * `repo_push` is sent once per tag pushed through the v2 API (`updated_tags: [tag]`); pushes by
 * digest send nothing. Old Quay sent `updated_tags` as `{ tag: image id }`, which is read too.
 */
const notificationSchema = z.object({
  repository: z.string().min(1),
  docker_url: z.string().min(1),
  updated_tags: z.union([z.array(z.string()), z.record(z.string(), z.string())]).optional(),
  build_id: z.string().optional(),
  vulnerability: z.unknown().optional(),
  message: z.string().optional(),
});

type Notification = z.infer<typeof notificationSchema>;

const EVENT = 'repo_push';

/**
 * Quay's bodies carry nothing that tells two pushes of the same tag apart, so the minute of arrival
 * is part of the derived id: a retry arriving within that minute collides, and a later push of the
 * same tag (a new image under `latest`) still deploys. A retry that lands in the next minute
 * (Quay retries after ~30 s) deploys the same image again, which is harmless; the reverse
 * mistake, skipping a real push forever, is not.
 */
const DEDUPE_WINDOW_MS = 60_000;

/** Which notification this is, from the fields only that event sends (Quay sends no event name). */
function eventName(notification: Notification): string {
  if (notification.updated_tags !== undefined) return EVENT;
  if (notification.build_id !== undefined) return 'build';
  if (notification.vulnerability !== undefined) return 'vulnerability_found';
  if (notification.message !== undefined) return 'repo_mirror_sync';
  return 'unknown';
}

function tagsOf(updated: NonNullable<Notification['updated_tags']>): string[] {
  return (Array.isArray(updated) ? updated : Object.keys(updated)).filter((tag) => tag.length > 0);
}

export const quay: Provider = {
  type: 'quay',
  credentialHeaders: [],
  requiredKeys: ['token'],
  tokenInPath: true,
  // Quay signs nothing and sends no custom header, so the only secret is the token in the URL path.
  authenticate(source, request) {
    return verifyPathToken(request, source.token ?? '');
  },
  parse(source, request, body) {
    const parsed = notificationSchema.safeParse(body);
    if (!parsed.success) return { kind: 'invalid', reason: describeIssues('Quay notification', parsed.error) };
    const notification = parsed.data;
    const event = eventName(notification);
    const tags = notification.updated_tags === undefined ? [] : tagsOf(notification.updated_tags);
    const window = String(Math.floor(request.now.getTime() / DEDUPE_WINDOW_MS));
    const deliveryId = deriveDeliveryId(source.name, event, notification.docker_url, [...tags].sort().join(','), window);
    if (event !== EVENT) {
      return { kind: 'ignored', deliveryId, event, reason: `Quay ${event} notification for ${notification.repository} does not deploy (only repo_push)` };
    }
    const image = normalizeImage(notification.docker_url);
    if (tags.length === 0) {
      return { kind: 'ignored', deliveryId, event, reason: `Quay repo_push for ${notification.repository} lists no updated tag`, read: { event, image } };
    }
    return { kind: 'events', deliveryId, event, events: tags.map((tag) => ({ event, image, tag })) };
  },
};
