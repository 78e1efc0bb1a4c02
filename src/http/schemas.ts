import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatIssues } from '../config/errors.js';
import { TARGET_KIND_NAMES } from '../qovery/targets.js';
import { deploymentStateSchema, DEPLOYMENT_STATUSES, notificationOutcomeSchema, type Delivery, type Transition } from '../history/model.js';

/**
 * Route schemas are zod schemas. Requests are validated with zod, and a failure carries the same
 * readable message the routes always gave (`field: problem; ...`); the error handler answers it
 * 400 RELAY_BAD_REQUEST. Response schemas only describe answers for /docs: responses are written
 * with JSON.stringify, never filtered or re-validated, so documenting a route changes nothing it sends.
 */
export function useZodSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema }) => {
    const zod = schema as unknown as z.ZodType;
    return (data: unknown) => {
      const result = zod.safeParse(data);
      if (result.success) return { value: result.data };
      return { error: Object.assign(new Error(formatIssues(result.error).join('; ')), { validation: result.error.issues }) };
    };
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/**
 * For routes that read their input themselves (the webhooks verify the exact raw bytes before
 * anything parses them): the schema documents the request, and nothing checks or copies it here.
 */
export const documentedOnly = () => () => true;

export const errorSchema = z
  .object({
    code: z.string().describe('a stable RELAY_* code; match on it, not on the message'),
    message: z.string().describe('what went wrong, readable by a person'),
    reqId: z.string().describe("this request's id, as in the relay's logs"),
  })
  .describe('Every error answer has this shape');

const serviceSchema = z.object({ kind: z.enum(TARGET_KIND_NAMES), id: z.string() });

export const targetSchema = z
  .union([
    serviceSchema,
    z.object({
      kind: z.literal('environment'),
      id: z.string(),
      services: z.array(serviceSchema.extend({ state: z.string().optional().describe('the last state Qovery reported for the service') })),
    }),
  ])
  .describe('what was deployed: a job, an application, a container or a helm service, or an environment release of several');

export const deploymentSummarySchema = z.object({
  id: z.string(),
  route: z.string(),
  target: targetSchema,
  jobId: z.string().optional().describe('for a job target, its id (as before other kinds existed)'),
  imageTag: z.string().optional(),
  gitCommitId: z.string().optional(),
});

export const transitionSchema = z.object({
  at: z.string(),
  status: z.enum(DEPLOYMENT_STATUSES),
  detail: z.string().optional(),
  attempt: z.number().int().optional(),
  httpStatus: z.number().int().optional(),
  qoveryState: z.string().optional(),
  status_details: z.unknown().optional(),
}) satisfies z.ZodType<Transition>;

/** A deployment as the API shows it: the state schema less the worker's bookkeeping, with its transitions. */
export const deploymentSchema = deploymentStateSchema
  .omit({ order: true, leftTerminal: true, uncertain: true, lanes: true, targetKind: true, targetId: true, services: true })
  .extend({ target: targetSchema, transitions: z.array(transitionSchema) });

/** One deployment as `GET /deployments/{id}` shows it: with what each notification about it came to. */
export const deploymentDetailSchema = deploymentSchema.extend({
  notifications: z.array(notificationOutcomeSchema).describe('every attempt at a notification or commit status about it, oldest first'),
});

const readSchema = z.object({
  repository: z.string().optional(),
  image: z.string().optional(),
  branch: z.string().optional(),
  tag: z.string().optional(),
  commit: z.string().optional(),
  digest: z.string().optional(),
  pushedAt: z.string().optional(),
  paths: z.array(z.string()).optional().describe('files a git push changed, when the provider lists them'),
  event: z.string().optional().describe("the event's own name, when it is not the delivery's"),
});

export const deliverySchema = z.object({
  id: z.string(),
  source: z.string(),
  sourceType: z.string(),
  event: z.string(),
  outcome: z.enum(['accepted', 'ignored', 'duplicate']),
  reason: z.string().optional(),
  receivedAt: z.string(),
  read: z.array(readSchema),
  deploymentIds: z.array(z.string()),
  duplicateOf: z.string().optional(),
  replayOf: z.string().optional().describe('on a replay: the delivery routed again'),
  redeployOf: z.string().optional().describe("on a re-drive's delivery: the deployment repeated"),
  skipped: z.array(z.string()).optional(),
}) satisfies z.ZodType<Delivery>;

/** The bearer scheme of /docs, named by the routes that need it. */
export const BEARER = [{ bearer: [] }];
