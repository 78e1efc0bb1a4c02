import type { Queue } from 'bullmq';

/** The queue states an operator watches; completed jobs are kept history, not work. */
const WATCHED_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

/** Deploy jobs by state: one BullMQ script call, counting list and set lengths. */
export async function queueCounts(queue: Queue): Promise<Record<string, number>> {
  return queue.getJobCounts(...WATCHED_STATES);
}

/**
 * How long the oldest waiting job has been due. Jobs wait in arrival order, so the oldest is the
 * list's tail: one LRANGE and one HGETALL. A job re-scheduled by a phase (a poll, a retry) became
 * due `delay` ms after it last ran, not when it was first added, so that is where its wait starts.
 */
export async function oldestWaitingMs(queue: Queue, now: () => number = Date.now): Promise<number> {
  const [oldest] = await queue.getWaiting(0, 0);
  if (!oldest) return 0;
  const dueAt = Math.max(oldest.timestamp, oldest.processedOn ?? 0) + (oldest.delay ?? 0);
  return Math.max(0, now() - dueAt);
}
