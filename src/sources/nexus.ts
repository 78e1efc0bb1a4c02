import { z } from 'zod';
import { describeIssues, isoTime } from './payload.js';
import { normalizeImage } from './image.js';
import { header, verifyHexHmac } from './verify.js';
import type { NormalizedEvent, Provider, SourceConfig } from './types.js';

/**
 * Sonatype Nexus Repository 3 "Webhook: Repository" capability, event type `component`. With a
 * secret key configured, Nexus sends the hex HMAC-SHA1 of the body in X-Nexus-Webhook-Signature.
 *
 * A docker component's `name` is the image path and its `version` the tag. The payload names no
 * host: `registryHost` is the address clients pull this repository from (its port connector
 * `nexus.acme.com:8082`, subdomain connector `docker-hosted.nexus.acme.com`, or reverse-proxy
 * host), so one source per repository whose address differs.
 */
const COMPONENT_EVENT = 'rm:repository:component';

const componentSchema = z.object({
  timestamp: z.string().optional(),
  repositoryName: z.string(),
  action: z.string(),
  component: z.object({
    format: z.string(),
    name: z.string().min(1),
    version: z.string().nullable().optional(),
  }),
});

type ComponentEvent = z.infer<typeof componentSchema>;

function readComponent(source: SourceConfig, payload: ComponentEvent): NormalizedEvent {
  const host = (source.registryHost ?? '').replace(/\/+$/, '');
  const tag = payload.component.version || undefined;
  const pushedAt = isoTime(payload.timestamp);
  return {
    event: COMPONENT_EVENT,
    image: normalizeImage(`${host}/${payload.component.name}`),
    ...(tag !== undefined && { tag }),
    ...(pushedAt && { pushedAt }),
  };
}

export const nexus: Provider = {
  type: 'nexus',
  credentialHeaders: ['x-nexus-webhook-signature'],
  requiredKeys: ['secret', 'registryHost'],
  authenticate(source, request) {
    return verifyHexHmac(request, {
      header: 'x-nexus-webhook-signature',
      prefix: '',
      algorithm: 'sha1',
      secret: source.secret ?? '',
    });
  },
  parse(source, request, body) {
    const event = header(request, 'x-nexus-webhook-id');
    const deliveryId = header(request, 'x-nexus-webhook-delivery');
    if (!event) return { kind: 'invalid', reason: 'missing X-Nexus-Webhook-Id header' };
    if (!deliveryId) return { kind: 'invalid', reason: 'missing X-Nexus-Webhook-Delivery header' };
    if (event !== COMPONENT_EVENT) {
      return { kind: 'ignored', deliveryId, event, reason: `Nexus event "${event}" does not deploy (only ${COMPONENT_EVENT})` };
    }
    const parsed = componentSchema.safeParse(body);
    if (!parsed.success) return { kind: 'invalid', reason: describeIssues('Nexus component', parsed.error) };
    const { action, component, repositoryName } = parsed.data;
    const read = readComponent(source, parsed.data);
    const ignored = (reason: string) => ({ kind: 'ignored' as const, deliveryId, event, reason, read });
    if (component.format !== 'docker') {
      return { kind: 'ignored', deliveryId, event, reason: `${component.format} component in ${repositoryName} is not a docker image` };
    }
    if (action !== 'CREATED' && action !== 'UPDATED') return ignored(`${action} docker component ${component.name} does not deploy`);
    if (read.tag === undefined) return ignored(`docker component ${component.name} has no version (tag)`);
    return { kind: 'events', deliveryId, event, events: [read] };
  },
};
