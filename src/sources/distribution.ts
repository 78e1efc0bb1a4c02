import { z } from 'zod';
import { describeIssues, isoTime } from './payload.js';
import { normalizeImage } from './image.js';
import { deriveDeliveryId, verifyConfiguredHeader } from './verify.js';
import type { NormalizedEvent, Provider, SourceConfig } from './types.js';

/**
 * CNCF Distribution (`registry:2`/`registry:3`, also behind the GitLab container registry)
 * notifications: an envelope `{ events: [...] }` sent as
 * `application/vnd.docker.distribution.events.v1+json` (v2 in Distribution 3).
 *
 * Nothing is signed; the endpoint's `headers:` config sends a header we check, e.g.
 * `Authorization: [Bearer <token>]` -> `header: { name: Authorization, value: "Bearer <token>" }`.
 *
 * A push sends one event per blob and per manifest. Only a manifest pushed by tag deploys: the
 * per-platform manifests of a multi-arch image are pushed by digest and carry no tag.
 */
const MANIFEST_MEDIA_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
]);

const eventSchema = z.object({
  id: z.string().min(1),
  timestamp: z.string().optional(),
  action: z.string(),
  target: z.object({
    mediaType: z.string().optional(),
    digest: z.string().optional(),
    repository: z.string().min(1),
    tag: z.string().optional(),
  }),
  request: z.object({ host: z.string().optional() }).optional(),
});

const envelopeSchema = z.object({ events: z.array(eventSchema).min(1) });

type RegistryEvent = z.infer<typeof eventSchema>;

/**
 * `request.host` is the Host header the client used, so it is the registry's public name unless a
 * proxy rewrote it; `registryHost`, when set, overrides it for that case.
 */
function hostFor(source: SourceConfig, entry: RegistryEvent): string | undefined {
  return source.registryHost?.replace(/\/+$/, '') || entry.request?.host || undefined;
}

/** A tagged manifest push as an event, or why the entry does not deploy. */
function readEntry(source: SourceConfig, entry: RegistryEvent): NormalizedEvent | string {
  const what = `${entry.action} of ${entry.target.repository}`;
  if (entry.action !== 'push') return `${what} is not a push`;
  if (!entry.target.mediaType || !MANIFEST_MEDIA_TYPES.has(entry.target.mediaType)) {
    return `${what} is a blob or unknown media type (${entry.target.mediaType ?? 'none'}), not a manifest`;
  }
  if (!entry.target.tag) return `${what} is a manifest pushed by digest, without a tag`;
  const host = hostFor(source, entry);
  if (!host) return `${what} has no request.host to name the registry`;
  const pushedAt = isoTime(entry.timestamp);
  return {
    event: 'push',
    image: normalizeImage(`${host}/${entry.target.repository}`),
    tag: entry.target.tag,
    ...(entry.target.digest && { digest: entry.target.digest }),
    ...(pushedAt && { pushedAt }),
  };
}

export const distribution: Provider = {
  type: 'distribution',
  credentialHeaders: ['authorization'],
  requiredKeys: ['header'],
  optionalKeys: ['registryHost'],
  authenticate(source, request) {
    return verifyConfiguredHeader(request, source.header);
  },
  parse(source, _request, body) {
    const parsed = envelopeSchema.safeParse(body);
    if (!parsed.success) return { kind: 'invalid', reason: describeIssues('Distribution notification', parsed.error) };
    const entries = parsed.data.events;
    // Every event has a unique id and a retried envelope repeats them all, in whatever order.
    const deliveryId = deriveDeliveryId(source.name, ...entries.map((e) => e.id).sort());
    const events: NormalizedEvent[] = [];
    const skipped: string[] = [];
    for (const entry of entries) {
      const read = readEntry(source, entry);
      if (typeof read === 'string') skipped.push(read);
      else events.push(read);
    }
    if (events.length === 0) {
      const event = [...new Set(entries.map((e) => e.action))].join(',');
      return { kind: 'ignored', deliveryId, event, reason: `no tagged manifest push among ${entries.length} event(s): ${skipped.slice(0, 3).join('; ')}` };
    }
    return { kind: 'events', deliveryId, event: 'push', events, ...(skipped.length > 0 && { skipped }) };
  },
};
