import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { History } from '../history/history.js';
import { evaluateWebhook } from '../intake/evaluate.js';
import { HTTP_STATUS_BY_OUTCOME } from '../intake/outcome.js';
import { summarize } from '../intake/receive.js';
import type { ActiveRules } from '../routing/active-rules.js';
import { requireApiToken } from './auth.js';
import { requireStore } from './store-available.js';
import { BEARER, deploymentSummarySchema, errorSchema } from './schemas.js';

const testRequest = z
  .object({
    source: z.string().min(1),
    headers: z.record(z.string(), z.string()).default({}),
    /** The payload as JSON, or `rawBody` as the exact text when the signature should be checked too. */
    body: z.unknown().optional(),
    rawBody: z.string().optional(),
    pathToken: z.string().optional(),
  })
  .strict()
  .refine((r) => r.body !== undefined || r.rawBody !== undefined, 'give "body" (JSON) or "rawBody" (exact text)');

/** Documents the answer; `outcome` names intake's outcomes, with `deploy` for an accepted delivery. */
const testAnswer = z.object({
  source: z.string(),
  outcome: z.enum(Object.keys(HTTP_STATUS_BY_OUTCOME).map((kind) => (kind === 'accepted' ? 'deploy' : kind)) as [string, ...string[]]),
  wouldAnswer: z.number().int().describe('the HTTP status the webhook would get'),
  reason: z.string().optional(),
  authentication: z.object({ ok: z.boolean(), reason: z.string().optional() }).optional(),
  deliveryId: z.string().optional(),
  alreadySeen: z.boolean().optional(),
  event: z.string().optional(),
  read: z.array(z.record(z.string(), z.string())).optional(),
  deployments: z.array(deploymentSummarySchema.extend({ forceEvent: z.string().optional() })),
  skipped: z.array(z.string()).optional(),
});

/**
 * `POST /rules/test`: what the relay would do with a delivery (which routes match, with what tag or
 * commit, or why none did) without storing or enqueuing anything. Signature failures are reported
 * but do not stop the evaluation, so routes can be debugged without computing signatures.
 */
export function registerRulesRoutes(
  app: FastifyInstance,
  deps: { rules: ActiveRules; history: History; apiToken: string | undefined; storeAvailable: () => boolean },
): void {
  void app.register(async (scope) => {
    // On request: the token is checked before the body is read or validated.
    scope.addHook('onRequest', requireApiToken(deps.apiToken));
    scope.addHook('onRequest', requireStore(deps.storeAvailable));
    const schema = {
      summary: 'What the relay would do with a delivery, without storing or enqueuing anything',
      security: BEARER,
      body: testRequest,
      response: { 200: testAnswer, 400: errorSchema, 401: errorSchema },
    };
    scope.post<{ Body: z.infer<typeof testRequest> }>('/rules/test', { schema }, async (request) => {
      const input = request.body;
      const headers = Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
      const rawBody = Buffer.from(input.rawBody ?? JSON.stringify(input.body));
      const evaluation = evaluateWebhook(
        deps.rules.current(),
        { source: input.source, headers, rawBody, ...(input.pathToken !== undefined && { pathToken: input.pathToken }) },
        new Date(),
        { requireAuth: false },
      );

      if (evaluation.kind === 'rejected') {
        const outcome = evaluation.outcome;
        return {
          source: input.source,
          outcome: outcome.kind,
          wouldAnswer: HTTP_STATUS_BY_OUTCOME[outcome.kind],
          reason: 'reason' in outcome ? outcome.reason : `no source named "${input.source}" is configured`,
          deployments: [],
        };
      }
      const { auth, delivery, deployments } = evaluation;
      const alreadySeen = (await deps.history.getDelivery(delivery.id, delivery.source)) !== undefined;
      const kind = !auth.ok
        ? 'unauthorized'
        : alreadySeen
          ? 'duplicate'
          : evaluation.ping
            ? 'ping'
            : evaluation.status
              ? 'status'
              : deployments.length > 0
                ? 'accepted'
                : 'ignored';
      return {
        source: input.source,
        // `deploy` is this endpoint's name for an accepted delivery.
        outcome: kind === 'accepted' ? 'deploy' : kind,
        wouldAnswer: HTTP_STATUS_BY_OUTCOME[kind],
        authentication: auth.ok ? { ok: true } : { ok: false, reason: auth.reason },
        deliveryId: delivery.id,
        alreadySeen,
        event: delivery.event,
        read: delivery.read,
        deployments: deployments.map((d) => ({ ...summarize(d), ...(d.forceEvent && { forceEvent: d.forceEvent }) })),
        ...(delivery.reason !== undefined && { reason: delivery.reason }),
        ...(delivery.skipped && { skipped: delivery.skipped }),
      };
    });
  });
}
