import { z } from 'zod';
import { describeIssues, isoFromEpochSeconds, isoTime } from './payload.js';
import { normalizeImage, splitImageReference } from './image.js';
import { deriveDeliveryId, header, verifyConfiguredHeader } from './verify.js';
import type { NormalizedEvent, ParseResult, Provider, SourceConfig, WebhookRequest } from './types.js';

/**
 * Harbor project webhooks (notify type `http`), in either payload format a policy can choose:
 * - `Default`: `{ type: "PUSH_ARTIFACT", occur_at, operator, event_data: { resources, repository } }`;
 * - `CloudEvents` (Harbor 2.8+): structured mode, `{ specversion, id, type: "harbor.artifact.pushed",
 *   time, operator, data: { resources, repository } }`. Binary mode (the same attributes as `ce-*`
 *   headers, `data` as the body) is what the CloudEvents HTTP binding also allows, so it is read too.
 *
 * Harbor signs nothing: the policy's "Auth Header" is sent verbatim as `Authorization`, so the
 * source sets `header: { value: <that exact string> }` (the name defaults to Authorization).
 */
// Harbor 1.9/1.10 called the push `pushImage` (same payload, and its resources could list several tags).
const PUSH_EVENTS = new Set(['PUSH_ARTIFACT', 'harbor.artifact.pushed', 'pushImage']);

const resourceSchema = z.object({
  digest: z.string().optional(),
  tag: z.string().optional(),
  resource_url: z.string().min(1),
});

const eventDataSchema = z.object({
  resources: z.array(resourceSchema),
  repository: z.object({ repo_full_name: z.string().min(1) }),
});

const defaultSchema = z.object({
  type: z.string().min(1),
  occur_at: z.number().optional(),
  event_data: z.unknown(),
});

const structuredCloudEventSchema = z.object({
  specversion: z.string().min(1),
  id: z.string().min(1),
  type: z.string().min(1),
  time: z.string().optional(),
  data: z.unknown(),
});

type EventData = z.infer<typeof eventDataSchema>;

/** What every format says about a delivery before its data is read. */
interface Envelope {
  readonly event: string;
  readonly deliveryId: string;
  readonly pushedAt?: string;
  readonly data: unknown;
}

function readEnvelope(source: SourceConfig, request: WebhookRequest, body: unknown): Envelope | string {
  const ceType = header(request, 'ce-type');
  if (ceType !== undefined) {
    const id = header(request, 'ce-id');
    if (!id) return 'Harbor CloudEvents (binary mode) request is missing its ce-id header';
    return { event: ceType, deliveryId: id, pushedAt: isoTime(header(request, 'ce-time')), data: body };
  }
  if (typeof body === 'object' && body !== null && 'specversion' in body) {
    const parsed = structuredCloudEventSchema.safeParse(body);
    if (!parsed.success) return describeIssues('Harbor CloudEvents', parsed.error);
    // Harbor formats the event once, before queueing the delivery job, so its retries repeat the id.
    return { event: parsed.data.type, deliveryId: parsed.data.id, pushedAt: isoTime(parsed.data.time), data: parsed.data.data };
  }
  const parsed = defaultSchema.safeParse(body);
  if (!parsed.success) return describeIssues('Harbor', parsed.error);
  const { type, occur_at: occurAt, event_data: data } = parsed.data;
  // The Default format has no id; a retried job resends the same payload, a new push has another
  // time or digest, so the event's own content identifies it.
  return {
    event: type,
    deliveryId: deriveDeliveryId(source.name, type, String(occurAt ?? ''), JSON.stringify(data ?? null)),
    pushedAt: isoFromEpochSeconds(occurAt),
    data,
  };
}

/**
 * Harbor names an artifact pushed without a tag by its digest, in `tag` as well: such a resource
 * (a child manifest of a multi-arch image, or a push by digest) has nothing to route on.
 */
function readResources(envelope: Envelope, data: EventData): { events: NormalizedEvent[]; skipped: string[] } {
  const events: NormalizedEvent[] = [];
  const skipped: string[] = [];
  for (const resource of data.resources) {
    const image = normalizeImage(splitImageReference(resource.resource_url).name);
    const tag = resource.tag && !/^sha256:/i.test(resource.tag) ? resource.tag : undefined;
    if (tag === undefined) {
      skipped.push(`${image}@${resource.digest ?? '?'} was pushed without a tag`);
      continue;
    }
    events.push({
      event: envelope.event,
      image,
      tag,
      ...(resource.digest && { digest: resource.digest }),
      ...(envelope.pushedAt && { pushedAt: envelope.pushedAt }),
    });
  }
  return { events, skipped };
}

export const harbor: Provider = {
  type: 'harbor',
  credentialHeaders: ['authorization'],
  requiredKeys: ['header'],
  authenticate(source, request) {
    return verifyConfiguredHeader(request, source.header);
  },
  parse(source, request, body): ParseResult {
    const envelope = readEnvelope(source, request, body);
    if (typeof envelope === 'string') return { kind: 'invalid', reason: envelope };
    const { event, deliveryId } = envelope;
    if (!PUSH_EVENTS.has(event)) {
      return { kind: 'ignored', deliveryId, event, reason: `Harbor event "${event}" does not deploy (only PUSH_ARTIFACT / harbor.artifact.pushed)` };
    }
    const data = eventDataSchema.safeParse(envelope.data);
    if (!data.success) return { kind: 'invalid', reason: describeIssues(`Harbor ${event}`, data.error) };
    const { events, skipped } = readResources(envelope, data.data);
    if (events.length === 0) {
      const why = skipped.length > 0 ? skipped.join('; ') : 'no resources';
      return { kind: 'ignored', deliveryId, event, reason: `Harbor push of ${data.data.repository.repo_full_name} has no tagged artifact: ${why}` };
    }
    return { kind: 'events', deliveryId, event, events, ...(skipped.length > 0 && { skipped }) };
  },
};
