import type { FastifyInstance } from 'fastify';
import underPressure from '@fastify/under-pressure';

export interface PressureLimits {
  /** Event loop delay in ms above which requests are refused; 0 turns the check off. */
  readonly maxEventLoopDelayMs: number;
  readonly maxHeapUsedBytes: number;
  readonly maxRssBytes: number;
  /** Sent as `Retry-After` with each refusal. */
  readonly retryAfterS: number;
}

/**
 * Route config that lets a route answer under pressure. Liveness must not fail because the
 * process is busy (an orchestrator would restart a healthy, loaded relay), and /metrics is how an
 * operator sees the pressure. /readyz is not exempt: answering 503 there takes a saturated
 * process out of its load balancer, which is the point.
 */
export const ANSWERS_UNDER_PRESSURE = { pressureHandler: () => undefined } as const;

/**
 * Refuses work while the process is saturated, before it reads a body, so a loaded relay sheds
 * requests the sender will retry instead of timing them all out. The refusal is an error with
 * code FST_UNDER_PRESSURE; the error handler answers it 503 RELAY_OVERLOADED, and the plugin has
 * already set `Retry-After`.
 */
export async function registerBackPressure(app: FastifyInstance, limits: PressureLimits): Promise<void> {
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    maxHeapUsedBytes: limits.maxHeapUsedBytes,
    maxRssBytes: limits.maxRssBytes,
    retryAfter: limits.retryAfterS,
  });
}
