import { z } from 'zod';
import { describeIssues } from './payload.js';
import { normalizeImage } from './image.js';
import { secretsEqual } from '../shared/crypto.js';
import { AUTH_OK, deriveDeliveryId, header, refuse, verifyHexHmac } from './verify.js';
import type { AuthResult, NormalizedEvent, ParseResult, Provider, SourceConfig, WebhookRequest } from './types.js';

/**
 * JFrog Artifactory predefined webhooks, domain `docker`. The handler's secret travels in
 * `X-JFrog-Event-Auth`: as the plain token by default (configure `token`), or, with "use secret
 * for payload signing" on, as the hex HMAC-SHA256 of the body (configure `secret`).
 *
 * The payload names no registry host, so `registryHost` gives it. We address images the way
 * Artifactory's "repository path" method does (the one that needs no per-repository DNS name or
 * port): `<registryHost>/<repo_key>/<image path>`, e.g. `acme.jfrog.io/docker-local/api`. Clients
 * using the subdomain (`docker-local.acme.jfrog.io/api`) or port method pull the same image, but
 * routes match it in this one form.
 */
const AUTH_HEADER = 'x-jfrog-event-auth';

const envelopeSchema = z.object({
  domain: z.string(),
  event_type: z.string(),
  data: z.unknown(),
  subscription_key: z.string().optional(),
  jpd_origin: z.string().optional(),
});

const pushedSchema = z.object({
  repo_key: z.string().min(1),
  path: z.string(),
  sha256: z.string().optional(),
  image_name: z.string().min(1),
  tag: z.string().min(1),
});

type Pushed = z.infer<typeof pushedSchema>;

function verifyEventAuth(source: SourceConfig, request: WebhookRequest): AuthResult {
  if (source.token && source.secret) return refuse('configure either token or secret for a jfrog source, not both');
  if (!source.token && !source.secret) return refuse('a jfrog source needs token (plain secret) or secret (payload signing)');
  if (source.secret) return verifyHexHmac(request, { header: 'X-JFrog-Event-Auth', algorithm: 'sha256', secret: source.secret });
  const received = header(request, AUTH_HEADER);
  if (!received) return refuse('missing X-JFrog-Event-Auth header');
  return secretsEqual(received, source.token ?? '') ? AUTH_OK : refuse('X-JFrog-Event-Auth does not match the configured token');
}

/**
 * The manifest path is `<image path>/<tag>/<manifest file>`; it keeps the full nested image path
 * even where `image_name` may give less, so it wins when it has that shape.
 */
function imagePath(data: Pushed): string {
  const segments = data.path.split('/');
  if (segments.length >= 3 && segments[segments.length - 2] === data.tag) return segments.slice(0, -2).join('/');
  return data.image_name;
}

function readPushed(source: SourceConfig, event: string, data: Pushed): NormalizedEvent {
  const host = (source.registryHost ?? '').replace(/\/+$/, '');
  return {
    event,
    image: normalizeImage(`${host}/${data.repo_key}/${imagePath(data)}`),
    tag: data.tag,
    // The sha256 of the manifest file is the image's manifest digest.
    ...(data.sha256 && /^[0-9a-f]{64}$/i.test(data.sha256) && { digest: `sha256:${data.sha256.toLowerCase()}` }),
  };
}

export const jfrog: Provider = {
  type: 'jfrog',
  credentialHeaders: ['x-jfrog-event-auth'],
  requiredKeys: ['registryHost'],
  optionalKeys: ['token', 'secret'],
  oneOfKeys: ['token', 'secret'],
  oneOfExclusive: true,
  authenticate(source, request) {
    return verifyEventAuth(source, request);
  },
  parse(source, _request, body): ParseResult {
    const parsed = envelopeSchema.safeParse(body);
    if (!parsed.success) return { kind: 'invalid', reason: describeIssues('JFrog webhook', parsed.error) };
    const { domain, event_type: event, data, subscription_key: subscription } = parsed.data;
    const pushed = pushedSchema.safeParse(data);
    // JFrog sends no delivery id; a retry repeats the same subscription, event, manifest path and checksum.
    const deliveryId = deriveDeliveryId(
      source.name,
      subscription,
      domain,
      event,
      pushed.success ? pushed.data.repo_key : undefined,
      pushed.success ? pushed.data.path : undefined,
      pushed.success ? pushed.data.sha256 : undefined,
    );
    if (domain !== 'docker' || event !== 'pushed') {
      const reason = `JFrog ${domain} event "${event}" does not deploy (only docker "pushed")`;
      const read = domain === 'docker' && pushed.success ? readPushed(source, event, pushed.data) : undefined;
      return { kind: 'ignored', deliveryId, event, reason, ...(read && { read }) };
    }
    if (!pushed.success) return { kind: 'invalid', reason: describeIssues('JFrog docker pushed', pushed.error) };
    return { kind: 'events', deliveryId, event, events: [readPushed(source, event, pushed.data)] };
  },
};
