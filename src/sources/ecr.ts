import { z } from 'zod';
import { describeIssues, isoTime } from './payload.js';
import { normalizeImage } from './image.js';
import { verifyConfiguredHeader } from './verify.js';
import type { ParseResult, Provider } from './types.js';

/**
 * Amazon ECR has no webhooks of its own: it emits `ECR Image Action` events to EventBridge, and a
 * rule forwards them to us through an API destination. The rule target must send the event as is
 * (no input transformer), since we read the EventBridge envelope.
 *
 * EventBridge signs nothing; the API destination's connection adds the credential:
 * - API key auth sends the configured header: `header: { name: X-Relay-Key, value: <key> }`;
 * - Basic auth sends `Authorization: Basic base64(user:pass)`: configure it as
 *   `header: { name: Authorization, value: "Basic <base64 of user:pass>" }`.
 */
const envelopeSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string().min(1),
  region: z.string().min(1),
  time: z.string().optional(),
  detail: z.unknown(),
});

const imageActionSchema = z.object({
  'action-type': z.string(),
  result: z.string(),
  'repository-name': z.string().min(1),
  'image-digest': z.string().optional(),
  'image-tag': z.string().optional(),
});

type Envelope = z.infer<typeof envelopeSchema>;

const EVENT = 'ECR Image Action';

/** China regions live under their own top-level domain. */
function registryHost(account: string, region: string): string {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${account}.dkr.ecr.${region}.${domain}`;
}

function parseImageAction(envelope: Envelope): ParseResult {
  const deliveryId = envelope.id;
  const parsed = imageActionSchema.safeParse(envelope.detail);
  if (!parsed.success) return { kind: 'invalid', reason: describeIssues('ECR Image Action detail', parsed.error) };
  const detail = parsed.data;
  const tag = detail['image-tag'] || undefined;
  const pushedAt = isoTime(envelope.time);
  const read = {
    event: EVENT,
    image: normalizeImage(`${registryHost(envelope.account, envelope.region)}/${detail['repository-name']}`),
    ...(tag !== undefined && { tag }),
    ...(detail['image-digest'] && { digest: detail['image-digest'] }),
    ...(pushedAt && { pushedAt }),
  };
  const ignored = (reason: string): ParseResult => ({ kind: 'ignored', deliveryId, event: EVENT, reason, read });
  if (detail['action-type'] !== 'PUSH') return ignored(`ECR ${detail['action-type']} of ${read.image} does not deploy`);
  if (detail.result !== 'SUCCESS') return ignored(`ECR push of ${read.image} did not succeed (result ${detail.result})`);
  // Pushes by digest (the per-platform manifests of a multi-arch image) carry no tag to route on.
  if (tag === undefined) return ignored(`ECR push of ${read.image} has no image-tag (pushed by digest)`);
  return { kind: 'events', deliveryId, event: EVENT, events: [read] };
}

export const ecr: Provider = {
  type: 'ecr',
  credentialHeaders: ['authorization'],
  requiredKeys: ['header'],
  authenticate(source, request) {
    return verifyConfiguredHeader(request, source.header);
  },
  parse(_source, _request, body) {
    const parsed = envelopeSchema.safeParse(body);
    if (!parsed.success) return { kind: 'invalid', reason: describeIssues('EventBridge event', parsed.error) };
    const envelope = parsed.data;
    // EventBridge retries an API destination call with the same event, so its id is the delivery id.
    if (envelope.source !== 'aws.ecr' || envelope['detail-type'] !== EVENT) {
      return {
        kind: 'ignored',
        deliveryId: envelope.id,
        event: envelope['detail-type'],
        reason: `EventBridge event "${envelope['detail-type']}" from ${envelope.source} does not deploy (only ${EVENT} from aws.ecr)`,
      };
    }
    return parseImageAction(envelope);
  },
};
