import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { decodeStreamEntries, type FeedEntry, type StreamEntries } from '../events/feed.js';
import type { History } from '../history/history.js';
import { NOTIFY_JOB_NAME, notifyJobId, notifyJobOptions, type NotifyJobData } from '../queue/jobs.js';
import type { RedisClient } from '../redis/scripts.js';
import type { ActiveRules } from '../routing/active-rules.js';
import { notificationsFor } from './plan.js';

/** The consumer group every worker process reads the events stream in. */
export const NOTIFY_GROUP = 'notify';

const BATCH = 200;
/** A blocked read returns this often even when nothing happens, so stopping never waits long. */
const BLOCK_MS = 2_000;
/** How often a stream not yet written is looked for: the first events after it appears wait at most this. */
const MISSING_STREAM_CHECK_MS = 250;
/** An entry another consumer read and did not acknowledge for this long is taken over: that process is gone. */
const CLAIM_IDLE_MS = 60_000;
const CLAIM_EVERY_MS = 30_000;
/** Each process reads as a consumer of its own name; one gone a day with nothing pending is forgotten. */
const FORGET_CONSUMER_IDLE_MS = 24 * 3600 * 1000;

type GroupRead = Array<[string, StreamEntries]> | null;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Turns deployment events into notification jobs. Every worker process reads the events stream in
 * one consumer group, so each entry goes to one of them; an entry is acknowledged only after its
 * jobs are in the queue, and the jobs' ids are made of the entry's, so an entry handled twice (a
 * crash between the two) queues nothing twice. The group starts where the stream ends when it is
 * first made on a stream that exists: a relay turned on does not notify about its past.
 */
export function createNotifyDispatcher(deps: {
  /** For the group's bookkeeping; the blocking reads have a connection of their own. */
  redis: RedisClient;
  openReader: () => RedisClient;
  key: string;
  consumer: string;
  queue: Queue<NotifyJobData>;
  history: History;
  rules: ActiveRules;
  maxAttempts: number;
  logger: Logger;
  /** When another consumer's unacknowledged entries are taken over; the defaults suit production. */
  claim?: { idleMs: number; everyMs: number };
}) {
  const { redis, key, logger } = deps;
  const claim = deps.claim ?? { idleMs: CLAIM_IDLE_MS, everyMs: CLAIM_EVERY_MS };
  const reader = deps.openReader();
  let stopping = false;
  let lastClaim = 0;

  /**
   * The stream is not made here (that would leave an empty key with no expiry behind): until the
   * history writes its first event there is nothing to read. Once seen missing, everything the
   * stream holds when it appears is new, so the group then starts at its beginning.
   */
  let sawStreamMissing = false;
  async function ensureGroup(): Promise<boolean> {
    try {
      await redis.xgroup('CREATE', key, NOTIFY_GROUP, sawStreamMissing ? '0' : '$');
      return true;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('BUSYGROUP')) return true;
      if (err instanceof Error && err.message.includes('requires the key to exist')) {
        sawStreamMissing = true;
        return false;
      }
      throw err;
    }
  }

  async function jobsOf(entries: readonly FeedEntry[]) {
    const { rules } = deps.rules.current();
    const jobs: Array<{ name: string; data: NotifyJobData; opts: ReturnType<typeof notifyJobOptions> & { jobId: string } }> = [];
    const events = entries.flatMap((entry) => (entry.event.type === 'deployment' ? [{ id: entry.id, event: entry.event }] : []));
    const states = await deps.history.getDeploymentStates(events.map((e) => e.event.id));
    events.forEach(({ id, event }, i) => {
      const state = states[i];
      if (state === undefined) return;
      for (const planned of notificationsFor(event, state, rules)) {
        const data: NotifyJobData = {
          eventId: id,
          kind: planned.kind,
          name: planned.name,
          deploymentId: event.id,
          status: event.status,
          ...(event.previous !== undefined && { previous: event.previous }),
          at: event.at,
        };
        jobs.push({ name: NOTIFY_JOB_NAME, data, opts: { ...notifyJobOptions(deps.maxAttempts), jobId: notifyJobId(data) } });
      }
    });
    return jobs;
  }

  async function handle(entries: StreamEntries): Promise<void> {
    if (entries.length === 0) return;
    const jobs = await jobsOf(decodeStreamEntries(entries, logger));
    if (jobs.length > 0) await deps.queue.addBulk(jobs);
    await redis.xack(key, NOTIFY_GROUP, ...entries.map(([id]) => id));
  }

  async function readGroup(from: '0' | '>', block: boolean): Promise<StreamEntries> {
    const args = ['GROUP', NOTIFY_GROUP, deps.consumer, 'COUNT', BATCH, ...(block ? ['BLOCK', BLOCK_MS] : []), 'STREAMS', key, from] as const;
    const answer = (await (reader.xreadgroup as (...a: unknown[]) => Promise<GroupRead>)(...args)) ?? [];
    return answer[0]?.[1] ?? [];
  }

  /** What this consumer read before a restart and had not acknowledged, then what others left behind. */
  async function recover(): Promise<void> {
    for (let mine = await readGroup('0', false); mine.length > 0; mine = await readGroup('0', false)) await handle(mine);
    let cursor = '0-0';
    do {
      const [next, claimed] = (await redis.xautoclaim(key, NOTIFY_GROUP, deps.consumer, claim.idleMs, cursor, 'COUNT', BATCH)) as [string, StreamEntries];
      await handle(claimed);
      cursor = next;
    } while (cursor !== '0-0' && !stopping);
    await forgetGoneConsumers();
    lastClaim = Date.now();
  }

  async function forgetGoneConsumers(): Promise<void> {
    const consumers = (await redis.xinfo('CONSUMERS', key, NOTIFY_GROUP)) as Array<Array<string | number>>;
    for (const fields of consumers) {
      const field = (name: string) => fields[fields.indexOf(name) + 1];
      const name = String(field('name'));
      if (name !== deps.consumer && Number(field('pending')) === 0 && Number(field('idle')) > FORGET_CONSUMER_IDLE_MS) {
        await redis.xgroup('DELCONSUMER', key, NOTIFY_GROUP, name);
      }
    }
  }

  async function loop(): Promise<void> {
    let needsGroup = true;
    while (!stopping) {
      try {
        if (needsGroup) {
          if (!(await ensureGroup())) {
            await pause(MISSING_STREAM_CHECK_MS);
            continue;
          }
          needsGroup = false;
          await recover();
        }
        if (Date.now() - lastClaim > claim.everyMs) await recover();
        await handle(await readGroup('>', true));
      } catch (err) {
        if (stopping) break;
        // The stream expires after a quiet retention period, and its group with it.
        if (err instanceof Error && err.message.startsWith('NOGROUP')) needsGroup = true;
        else {
          logger.warn({ err }, 'notification dispatch failed; retrying');
          await pause(1_000);
        }
      }
    }
  }

  const done = loop();
  return {
    async stop(): Promise<void> {
      stopping = true;
      reader.disconnect();
      await done;
    },
  };
}
