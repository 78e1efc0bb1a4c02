import { decodeCursor, encodeCursor } from './cursor.js';
import type { RedisClient } from '../redis/scripts.js';

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/**
 * Walks a sorted-set index newest first, loading and filtering in batches, so filters that the
 * index does not cover still return full pages. The cursor is the last (score, member) served.
 */
export async function pageIndex<T>(
  redis: RedisClient,
  indexKey: string,
  options: { limit: number; cursor?: string | undefined; sinceMs?: number | undefined; untilMs?: number | undefined },
  load: (ids: string[]) => Promise<Array<T | undefined>>,
  keep: (item: T) => boolean,
): Promise<Page<T>> {
  let position = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  if (options.cursor !== undefined && position === undefined) throw new InvalidCursorError('cursor is not one this server issued');
  const items: T[] = [];
  const batch = Math.max(options.limit * 2, 50);
  let offset = 0;
  // Scores are arrival times (ms), so a time window is a score range.
  const min = options.sinceMs === undefined ? '-inf' : String(options.sinceMs);
  for (;;) {
    const top = Math.min(position?.s ?? Infinity, options.untilMs ?? Infinity);
    const max = top === Infinity ? '+inf' : String(top);
    const raw = await redis.zrevrangebyscore(indexKey, max, min, 'WITHSCORES', 'LIMIT', offset, batch + 1);
    const entries: Array<{ id: string; score: number }> = [];
    for (let i = 0; i < raw.length; i += 2) entries.push({ id: raw[i] ?? '', score: Number(raw[i + 1]) });
    // Equal scores come back in reverse member order; skip what the cursor already served.
    const fresh = position === undefined ? entries : entries.filter((e) => e.score < position!.s || e.id < position!.m);
    if (fresh.length === 0) {
      // A run of equal scores longer than a batch: step over it instead of refetching it.
      if (entries.length <= batch) return { items, nextCursor: null };
      offset += batch;
      continue;
    }
    offset = 0;
    const loaded = await load(fresh.map((e) => e.id));
    for (let i = 0; i < fresh.length; i++) {
      const item = loaded[i];
      const entry = fresh[i]!;
      position = { s: entry.score, m: entry.id };
      if (item !== undefined && keep(item)) items.push(item);
      if (items.length === options.limit) {
        const more = i < fresh.length - 1 || entries.length > batch;
        return { items, nextCursor: more ? encodeCursor(position) : null };
      }
    }
    if (entries.length <= batch) return { items, nextCursor: null };
  }
}
