import { z } from 'zod';
import { deploymentStateSchema, targetOf, type Deployment, type DeploymentState, type Delivery, type Transition } from './model.js';

/**
 * Redis hashes hold strings only; this is the one place that turns them back into types. Each
 * field's reading follows its type in the deployment schema: numbers and booleans ("1"/"0") are
 * converted before the schema checks them.
 */
function fromHashField(field: z.ZodType): z.ZodType {
  const inner = field instanceof z.ZodOptional ? field.unwrap() : field;
  if (inner instanceof z.ZodNumber) return z.preprocess((v) => (v === undefined ? v : Number(v)), field);
  if (inner instanceof z.ZodBoolean) return z.preprocess((v) => (v === undefined ? v : v === '1'), field);
  return field;
}

const deploymentHash = z.object(
  Object.fromEntries(Object.entries(deploymentStateSchema.shape).map(([name, field]) => [name, fromHashField(field)])),
) as unknown as z.ZodType<DeploymentState>;

/** Deployments stored before other kinds than jobs existed name only their job. */
const asStoredBeforeTargets = (hash: Record<string, string>): Record<string, string> =>
  hash.targetKind === undefined && hash.jobId !== undefined ? { targetKind: 'job', targetId: hash.jobId, lanes: hash.jobId, ...hash } : hash;

export function decodeDeploymentState(hash: Record<string, string>): DeploymentState | undefined {
  return hash.id ? deploymentHash.parse(asStoredBeforeTargets(hash)) : undefined;
}

export function decodeDeployment(hash: Record<string, string>, transitions: readonly string[]): Deployment | undefined {
  const state = decodeDeploymentState(hash);
  return state && { ...state, target: targetOf(state), transitions: transitions.map((t) => JSON.parse(t) as Transition) };
}

const encodeField = (value: string | number | boolean): string => (typeof value === 'boolean' ? (value ? '1' : '0') : String(value));

/**
 * Fields as the flat field, value, field, value list HSET takes, appended to `pairs`. Undefined
 * values are dropped so optional fields are absent rather than the string "undefined", and so are
 * objects, which are no hash field (a deployment's `target` is written as its parts); for...in
 * rather than Object.entries, as this runs for every webhook and every status change.
 */
export function toHashPairs(values: Readonly<Record<string, unknown>>, pairs: string[] = []): string[] {
  for (const key in values) {
    const value = values[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') pairs.push(key, encodeField(value));
  }
  return pairs;
}

export function decodeDelivery(json: string | null): Delivery | undefined {
  return json === null ? undefined : (JSON.parse(json) as Delivery);
}
