import { z } from 'zod';
import { secretsEqual } from '../shared/crypto.js';
import { describeIssues, isoTime } from './payload.js';
import { AUTH_OK, deriveDeliveryId, header, refuse } from './verify.js';
import type { Provider, StatusOutcome } from './types.js';

/**
 * Qovery's organization webhooks (kind STANDARD). What their body holds is documented only as a
 * skeleton (docs/qovery-webhooks.md): the event type and creation time are read strictly, every
 * id loosely, so a field Qovery names differently costs a re-check of the environment, not the
 * delivery. Qovery sends the configured secret itself, in `Qovery-Signature` (its OpenAPI spec)
 * or `Qovery-Secret` (its docs); either is accepted.
 */
export const QOVERY_SECRET_HEADERS = ['qovery-signature', 'qovery-secret'] as const;

const OUTCOME_BY_EVENT: Readonly<Record<string, StatusOutcome>> = {
  DEPLOYMENT_STARTED: 'started',
  DEPLOYMENT_SUCCESSFUL: 'succeeded',
  DEPLOYMENT_FAILURE: 'failed',
  DEPLOYMENT_CANCELLED: 'cancelled',
};

const SERVICE_LISTS = ['applications', 'containers', 'jobs', 'helms', 'databases'] as const;
const reference = z.object({ id: z.string().min(1).max(100) }).passthrough();
const idOf = (value: unknown): string | undefined => {
  const parsed = reference.safeParse(value);
  return parsed.success ? parsed.data.id : undefined;
};

const eventSchema = z.object({
  event_type: z.string().min(1),
  created_at: z.string().optional(),
  payload_id: z.string().max(200).optional(),
  payload: z
    .object({
      id: z.string().max(100).optional(),
      deployment_id: z.string().max(100).optional(),
      current_status: z.string().max(100).optional(),
      environment: z.unknown().optional(),
      ...Object.fromEntries(SERVICE_LISTS.map((list) => [list, z.array(z.unknown()).optional()])),
    })
    .passthrough(),
});

export const qovery: Provider = {
  type: 'qovery',
  credentialHeaders: [...QOVERY_SECRET_HEADERS],
  requiredKeys: ['secret'],
  authenticate(source, request) {
    const sent = QOVERY_SECRET_HEADERS.map((name) => header(request, name)).filter((value): value is string => value !== undefined);
    if (sent.length === 0) return refuse('missing Qovery-Signature (or Qovery-Secret) header');
    return sent.some((value) => secretsEqual(value, source.secret ?? ''))
      ? AUTH_OK
      : refuse('Qovery-Signature (or Qovery-Secret) does not match the configured secret');
  },
  parse(source, _request, body) {
    const parsed = eventSchema.safeParse(body);
    if (!parsed.success) return { kind: 'invalid', reason: describeIssues('Qovery webhook', parsed.error) };
    const { event_type: event, created_at: createdAt, payload_id: payloadId, payload } = parsed.data;
    const deliveryId = payloadId ?? deriveDeliveryId(source.name, event, createdAt, payload.id, payload.deployment_id);
    const outcome = OUTCOME_BY_EVENT[event];
    if (!outcome) return { kind: 'ignored', deliveryId, event, reason: `Qovery event ${event} says nothing about a deployment's end` };
    const at = isoTime(createdAt);
    const environmentId = idOf(payload.environment);
    const lists = payload as Record<string, unknown>;
    const serviceIds = SERVICE_LISTS.flatMap((list) => (Array.isArray(lists[list]) ? (lists[list] as unknown[]).flatMap((item) => idOf(item) ?? []) : []));
    return {
      kind: 'status',
      deliveryId,
      event,
      report: {
        outcome,
        requestIds: [...new Set([payload.id, payload.deployment_id].filter((id): id is string => id !== undefined && id !== ''))],
        serviceIds,
        ...(at && { at }),
        ...(environmentId && { environmentId }),
        ...(payload.current_status && { state: payload.current_status }),
      },
    };
  },
};
