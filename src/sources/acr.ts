import { z } from 'zod';
import { describeIssues, isoTime } from './payload.js';
import { normalizeImage } from './image.js';
import { verifyConfiguredHeader } from './verify.js';
import type { NormalizedEvent, ParseResult, Provider } from './types.js';

/**
 * Azure Container Registry webhooks. ACR signs nothing and adds no header of its own beyond
 * Content-Type; the webhook's "Custom headers" are sent as configured, so the source names one of
 * them: `header: { name: Authorization, value: "Bearer <token>" }`.
 *
 * Actions: `push` deploys; `delete`, `chart_push`, `chart_delete` and `quarantine` do not; the
 * portal's and `az acr webhook ping`'s test request has action `ping`.
 */
const envelopeSchema = z.object({
  id: z.string().min(1),
  timestamp: z.string().optional(),
  action: z.string().min(1),
  target: z.unknown().optional(),
  request: z.unknown().optional(),
});

const pushSchema = z.object({
  target: z.object({
    mediaType: z.string().optional(),
    digest: z.string().optional(),
    repository: z.string().min(1),
    tag: z.string().optional(),
  }),
  // The externally reachable name of the registry (the Host the client pushed to).
  request: z.object({ host: z.string().min(1) }),
});

/** What the other actions may still tell, for the history; they need not carry all of it. */
const looseTargetSchema = z.object({
  target: z.object({ repository: z.string().min(1), tag: z.string().optional(), digest: z.string().optional() }),
  request: z.object({ host: z.string().min(1) }),
});

function readLoosely(action: string, body: unknown): NormalizedEvent | undefined {
  const parsed = looseTargetSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { target, request } = parsed.data;
  return {
    event: action,
    image: normalizeImage(`${request.host}/${target.repository}`),
    ...(target.tag && { tag: target.tag }),
    ...(target.digest && { digest: target.digest }),
  };
}

function parsePush(deliveryId: string, timestamp: string | undefined, body: unknown): ParseResult {
  const parsed = pushSchema.safeParse(body);
  if (!parsed.success) return { kind: 'invalid', reason: describeIssues('ACR push', parsed.error) };
  const { target, request } = parsed.data;
  const pushedAt = isoTime(timestamp);
  const read: NormalizedEvent = {
    event: 'push',
    image: normalizeImage(`${request.host}/${target.repository}`),
    ...(target.digest && { digest: target.digest }),
    ...(pushedAt && { pushedAt }),
  };
  // A push by digest (a platform manifest of a multi-arch image, or `docker push repo@sha256:`).
  if (!target.tag) {
    return { kind: 'ignored', deliveryId, event: 'push', reason: `ACR push of ${read.image} has no tag (pushed by digest)`, read };
  }
  return { kind: 'events', deliveryId, event: 'push', events: [{ ...read, tag: target.tag }] };
}

export const acr: Provider = {
  type: 'acr',
  credentialHeaders: ['authorization'],
  requiredKeys: ['header'],
  authenticate(source, request) {
    return verifyConfiguredHeader(request, source.header);
  },
  parse(_source, _request, body) {
    const parsed = envelopeSchema.safeParse(body);
    if (!parsed.success) return { kind: 'invalid', reason: describeIssues('ACR webhook', parsed.error) };
    // ACR sends no delivery header; the event id in the body names the event it reports.
    const { id: deliveryId, action, timestamp } = parsed.data;
    if (action === 'ping') return { kind: 'ping', deliveryId, event: action };
    if (action !== 'push') {
      const read = readLoosely(action, body);
      return {
        kind: 'ignored',
        deliveryId,
        event: action,
        reason: `ACR ${action} event${read?.image ? ` for ${read.image}` : ''} does not deploy (only push)`,
        ...(read && { read }),
      };
    }
    return parsePush(deliveryId, timestamp, body);
  },
};
