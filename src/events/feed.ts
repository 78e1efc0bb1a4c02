import type { Logger } from 'pino';
import type { RedisClient } from '../redis/scripts.js';
import { EVENT_FIELD, relayEventSchema, type RelayEvent } from './schema.js';

/** One event as a subscriber gets it: the stream entry's id is the SSE event id. */
export interface FeedEntry {
  readonly id: string;
  readonly event: RelayEvent;
}

export type FeedMessage =
  | { readonly kind: 'event'; readonly entry: FeedEntry }
  /** The events after `Last-Event-ID` were trimmed from the stream: the subscriber must reload what it shows. */
  | { readonly kind: 'reset' };

export interface Subscription {
  close(): void;
}

/** A pending entry read again after the stream's cap trimmed it comes back with no fields. */
export type StreamEntries = Array<[string, string[] | null]>;

/** Stream ids are `<ms>-<seq>`; compared as numbers, since the text of `9-0` sorts after `10-0`. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

export const isStreamId = (value: string): boolean => /^\d{1,20}-\d{1,20}$/.test(value);

const BATCH = 500;
/** A blocked read returns this often even when nothing happens, so closing never waits long. */
const BLOCK_MS = 5_000;

export function decodeStreamEntries(entries: StreamEntries, logger: Logger): FeedEntry[] {
  const out: FeedEntry[] = [];
  for (const [id, fields] of entries) {
    if (fields === null) continue;
    const at = fields.indexOf(EVENT_FIELD);
    const parsed = relayEventSchema.safeParse(at >= 0 ? JSON.parse(fields[at + 1] ?? 'null') : null);
    if (parsed.success) out.push({ id, event: parsed.data });
    else logger.warn({ id }, 'skipped an events stream entry that is not a relay event');
  }
  return out;
}

/**
 * Fans the events stream out to this process's subscribers (`GET /events`): one reader on its own
 * connection (an `XREAD BLOCK` holds it) serves every subscriber, and runs only while there is one.
 * A subscriber that names the last event it saw is first sent what came after it, then joins the
 * live feed with nothing missed or repeated: live entries are held for it until its catch-up ends.
 */
export function createEventFeed(deps: { redis: RedisClient; key: string; logger: Logger; openReader: () => RedisClient }) {
  const { redis, key, logger } = deps;
  const subscribers = new Set<(entries: readonly FeedEntry[]) => void>();
  let reader: RedisClient | undefined;
  /** The running reader; `ready` once it knows where the stream ends, so a catch-up read after that misses nothing. */
  let running: { ready: Promise<void>; done: Promise<void> } | undefined;

  async function lastId(): Promise<string> {
    const [last] = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as StreamEntries;
    return last?.[0] ?? '0-0';
  }

  const pause = () => new Promise((resolve) => setTimeout(resolve, 1_000));

  async function readLoop(connection: RedisClient, markReady: () => void): Promise<void> {
    let cursor: string | undefined;
    while (subscribers.size > 0) {
      try {
        if (cursor === undefined) {
          cursor = await lastId();
          markReady();
        }
        const answer = (await connection.xread('COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', key, cursor)) as Array<[string, StreamEntries]> | null;
        const entries = answer?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        cursor = entries.at(-1)?.[0] ?? cursor;
        const decoded = decodeStreamEntries(entries, logger);
        for (const deliver of subscribers) deliver(decoded);
      } catch (err) {
        if (subscribers.size === 0) break;
        logger.warn({ err }, 'events stream read failed; retrying');
        await pause();
      }
    }
    markReady();
  }

  function ensureReader(): Promise<void> {
    if (running) return running.ready;
    reader ??= deps.openReader();
    let markReady = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const done = readLoop(reader, markReady).finally(() => {
      running = undefined;
      // A subscriber that came while the loop was ending needs it again.
      if (subscribers.size > 0) void ensureReader();
    });
    running = { ready, done };
    return ready;
  }

  /** Entries after `from`, oldest first, in batches; returns false when `from` is older than what the stream keeps. */
  async function* after(from: string): AsyncGenerator<FeedEntry[], boolean> {
    const [first] = (await redis.xrange(key, '-', '+', 'COUNT', 1)) as StreamEntries;
    if (first === undefined || compareStreamIds(first[0], from) > 0) return false;
    let cursor = from;
    for (;;) {
      const entries = (await redis.xrange(key, `(${cursor}`, '+', 'COUNT', BATCH)) as StreamEntries;
      if (entries.length > 0) yield decodeStreamEntries(entries, logger);
      if (entries.length < BATCH) return true;
      cursor = entries.at(-1)?.[0] ?? cursor;
    }
  }

  return {
    /**
     * Calls `send` for every event from now on, or from after `lastEventId` when given (a `reset`
     * first when that is too old). `send` is called in order and never concurrently.
     */
    subscribe(send: (message: FeedMessage) => void, lastEventId?: string): Subscription {
      let caughtUp = lastEventId === undefined;
      let seen = lastEventId;
      const held: FeedEntry[] = [];
      const forward = (entry: FeedEntry) => {
        if (seen !== undefined && compareStreamIds(entry.id, seen) <= 0) return;
        seen = entry.id;
        send({ kind: 'event', entry });
      };
      const deliver = (entries: readonly FeedEntry[]) => {
        if (caughtUp) entries.forEach(forward);
        else held.push(...entries);
      };
      subscribers.add(deliver);
      const readerReady = ensureReader();
      if (lastEventId !== undefined) {
        void (async () => {
          try {
            await readerReady;
            const backlog = after(lastEventId);
            let next = await backlog.next();
            while (!next.done) {
              next.value.forEach(forward);
              next = await backlog.next();
            }
            if (!next.value) send({ kind: 'reset' });
          } catch (err) {
            logger.warn({ err }, 'could not read the events after Last-Event-ID');
            send({ kind: 'reset' });
          }
          caughtUp = true;
          held.splice(0).forEach(forward);
        })();
      }
      return {
        close() {
          subscribers.delete(deliver);
        },
      };
    },
    /** Ends the reader; subscribers get nothing more. */
    async close(): Promise<void> {
      subscribers.clear();
      reader?.disconnect();
      await running?.done;
      reader = undefined;
    },
  };
}

export type EventFeed = ReturnType<typeof createEventFeed>;
