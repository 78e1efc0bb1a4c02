import { z } from 'zod';
import { PROVIDER_TYPES, providerFor } from '../sources/registry.js';
import { deploymentSummarySchema, errorSchema } from './schemas.js';

/** Which provider types send each credential header, from the providers' own declarations. */
function credentialHeaders(): z.ZodObject {
  const senders = new Map<string, string[]>();
  for (const type of PROVIDER_TYPES) for (const name of providerFor(type)?.credentialHeaders ?? []) senders.set(name, [...(senders.get(name) ?? []), type]);
  const shape = Object.fromEntries(
    [...senders].map(([name, types]) => [
      name,
      z
        .string()
        .optional()
        .describe(`checked for: ${types.join(', ')}`),
    ]),
  );
  return z.object(shape);
}

const pathTokenTypes = PROVIDER_TYPES.filter((type) => providerFor(type)?.tokenInPath);

/** How /docs describes the webhook routes; nothing validates against it (see `documentedOnly`). */
export const webhookSchema = (withToken: boolean) => ({
  summary: withToken ? 'Receive a webhook whose secret is in the URL path' : 'Receive a webhook',
  description:
    "The body is read as raw bytes whatever its Content-Type, verified with the source's signature or token, then read as JSON. " +
    `Sources of type ${pathTokenTypes.join(', ')} carry their token in the path (POST /webhooks/{source}/{token}); the others authenticate with the headers below ` +
    '(a source with a configured `header` is checked on that header instead).',
  params: z.object({
    source: z.string().describe('the source name from the rules file'),
    ...(withToken && { token: z.string().describe('the source token') }),
  }),
  headers: credentialHeaders(),
  body: z.unknown().describe('any JSON body: the provider payload, as sent'),
  response: {
    202: z.union([
      z
        .object({ deliveryId: z.string(), deployments: z.array(deploymentSummarySchema), skipped: z.array(z.string()).optional() })
        .describe('stored and queued'),
      z.object({ deliveryId: z.string(), deployments: z.array(deploymentSummarySchema).max(0), ignored: z.string() }).describe('nothing to deploy, and why'),
    ]),
    200: z.union([
      z.object({ deliveryId: z.string(), duplicate: z.literal(true), deployments: z.array(deploymentSummarySchema) }).describe('a delivery id seen before'),
      z.object({ deliveryId: z.string(), ping: z.literal(true) }).describe('a ping'),
      z
        .object({
          deliveryId: z.string(),
          deployments: z.array(deploymentSummarySchema).max(0),
          status: z.object({
            moved: z.array(z.string()).describe('deployments whose status the event settled'),
            rechecked: z.array(z.string()).describe('environments read again at once, for an event that named no followed deployment'),
          }),
        })
        .describe('a Qovery deployment event (source type qovery), applied to what is followed'),
    ]),
    400: errorSchema.describe('RELAY_BODY_NOT_JSON or RELAY_PAYLOAD_INVALID'),
    401: errorSchema.describe('RELAY_SIGNATURE_INVALID'),
    404: errorSchema.describe('RELAY_UNKNOWN_SOURCE'),
    413: errorSchema.describe('RELAY_BODY_TOO_LARGE'),
    429: errorSchema.describe('RELAY_RATE_LIMITED'),
    503: errorSchema.describe('RELAY_UNAVAILABLE (Redis) or RELAY_OVERLOADED; retry'),
  },
});
