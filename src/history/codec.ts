import { z } from 'zod';
import { DEPLOYMENT_STATUSES, type Deployment, type DeploymentState, type Delivery, type Transition } from './model.js';

/** Redis hashes hold strings only; this is the one place that turns them back into types. */
const optional = z.string().optional();
const deploymentHash = z.object({
  id: z.string(),
  deliveryId: z.string(),
  route: z.string(),
  source: z.string(),
  jobId: z.string(),
  forceEvent: optional,
  imageTag: optional,
  gitCommitId: optional,
  status: z.enum(DEPLOYMENT_STATUSES),
  attempts: z.coerce.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  pushedAt: optional,
  order: z.coerce.number(),
  allowDowngrade: z.enum(['0', '1']).transform((v) => v === '1'),
  qoveryState: optional,
  deploymentRequestId: optional,
  supersededBy: optional,
  reason: optional,
  intentAt: optional,
  acceptedAt: optional,
  leftTerminal: z
    .enum(['0', '1'])
    .optional()
    .transform((v) => v === '1'),
  uncertain: z
    .enum(['0', '1'])
    .optional()
    .transform((v) => v === '1'),
});

export function decodeDeploymentState(hash: Record<string, string>): DeploymentState | undefined {
  return hash.id ? deploymentHash.parse(hash) : undefined;
}

export function decodeDeployment(hash: Record<string, string>, transitions: readonly string[]): Deployment | undefined {
  const state = decodeDeploymentState(hash);
  return state && { ...state, transitions: transitions.map((t) => JSON.parse(t) as Transition) };
}

type FieldValues = Record<string, string | number | boolean | undefined>;

const encodeField = (value: string | number | boolean): string => (typeof value === 'boolean' ? (value ? '1' : '0') : String(value));

/**
 * Fields as the flat field, value, field, value list HSET takes. Undefined values are dropped so
 * optional fields are absent rather than the string "undefined"; for...in rather than
 * Object.entries, as this runs for every webhook and every status change.
 */
export function toHashPairs(values: FieldValues): string[] {
  const pairs: string[] = [];
  for (const key in values) {
    const value = values[key];
    if (value !== undefined) pairs.push(key, encodeField(value));
  }
  return pairs;
}

export function decodeDelivery(json: string | null): Delivery | undefined {
  return json === null ? undefined : (JSON.parse(json) as Delivery);
}
