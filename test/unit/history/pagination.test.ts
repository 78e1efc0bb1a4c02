import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeCursor } from '../../../src/history/cursor.js';
import { InvalidCursorError, pageIndex, type Page } from '../../../src/history/queries.js';

const SCORE = 1_763_632_800_000_000;

let redis: Redis;
const ownedKeys: string[] = [];

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});

afterEach(async () => {
  if (ownedKeys.length > 0) await redis.del(...ownedKeys.splice(0));
});

afterAll(async () => {
  await redis.quit();
});

/** A sorted set of its own for one test; the key is deleted after the test. */
async function index(entries: Array<{ member: string; score: number }>): Promise<string> {
  const key = `test-pagination-${randomUUID()}:deps`;
  ownedKeys.push(key);
  const args = entries.flatMap((e) => [e.score, e.member]);
  for (let i = 0; i < args.length; i += 200) await redis.zadd(key, ...args.slice(i, i + 200));
  return key;
}

const member = (i: number) => `dep_${String(i).padStart(4, '0')}`;
/** Loads ids as themselves, as the history loads ids into records. */
const loadIds = async (ids: string[]) => ids;

/** Follows nextCursor to the end, returning every page. */
async function allPages(key: string, limit: number, keep: (id: string) => boolean = () => true): Promise<Array<Page<string>>> {
  const pages: Array<Page<string>> = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await pageIndex(redis, key, { limit, cursor }, loadIds, keep);
    pages.push(page);
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

describe('pageIndex', () => {
  it('serves every member once, in order, when 130 members share one score and pages hold 20', async () => {
    const members = Array.from({ length: 130 }, (_, i) => member(i));
    const key = await index(members.map((m) => ({ member: m, score: SCORE })));

    const pages = await allPages(key, 20);

    expect(pages.map((p) => p.items.length)).toEqual([20, 20, 20, 20, 20, 20, 10]);
    // Equal scores come newest first by member, as ZREVRANGEBYSCORE orders them.
    expect(pages.flatMap((p) => p.items)).toEqual([...members].reverse());
  });

  it('serves a run of equal scores between distinct scores without skipping or repeating', async () => {
    const entries = [
      ...Array.from({ length: 5 }, (_, i) => ({ member: `new_${i}`, score: SCORE + 10 + i })),
      ...Array.from({ length: 120 }, (_, i) => ({ member: member(i), score: SCORE })),
      ...Array.from({ length: 5 }, (_, i) => ({ member: `old_${i}`, score: SCORE - 10 - i })),
    ];
    const key = await index(entries);

    const served = (await allPages(key, 20)).flatMap((p) => p.items);

    const expected = [...entries].sort((a, b) => b.score - a.score || (a.member < b.member ? 1 : -1)).map((e) => e.member);
    expect(served).toEqual(expected);
  });

  it('fills whole pages when a filter keeps few members of a long equal-score run', async () => {
    const members = Array.from({ length: 130 }, (_, i) => member(i));
    const key = await index(members.map((m) => ({ member: m, score: SCORE })));
    const keep = (id: string) => Number(id.slice(4)) % 3 === 0;

    const pages = await allPages(key, 20, keep);

    expect(pages.map((p) => p.items.length)).toEqual([20, 20, 4]);
    expect(pages.flatMap((p) => p.items)).toEqual([...members].reverse().filter(keep));
  });

  it('ends with a null cursor when the last page is exactly full', async () => {
    const key = await index(Array.from({ length: 40 }, (_, i) => ({ member: member(i), score: SCORE })));
    const pages = await allPages(key, 20);
    expect(pages.map((p) => [p.items.length, p.nextCursor === null])).toEqual([
      [20, false],
      [20, true],
    ]);
  });

  it('skips ids whose records are gone', async () => {
    const key = await index(Array.from({ length: 30 }, (_, i) => ({ member: member(i), score: SCORE })));
    const loadSome = async (ids: string[]) => ids.map((id) => (id.endsWith('5') ? undefined : id));
    const page = await pageIndex(redis, key, { limit: 50 }, loadSome, () => true);
    expect(page.items).toHaveLength(27);
    expect(page.nextCursor).toBeNull();
  });

  it('answers an empty page for an empty index', async () => {
    const key = await index([]);
    expect(await pageIndex(redis, key, { limit: 20 }, loadIds, () => true)).toEqual({ items: [], nextCursor: null });
  });

  it('throws InvalidCursorError for a cursor it did not issue', async () => {
    const key = await index([{ member: member(1), score: SCORE }]);
    await expect(pageIndex(redis, key, { limit: 20, cursor: 'not-a-cursor' }, loadIds, () => true)).rejects.toBeInstanceOf(InvalidCursorError);
    const wrongShape = Buffer.from(JSON.stringify({ score: 1 })).toString('base64url');
    await expect(pageIndex(redis, key, { limit: 20, cursor: wrongShape }, loadIds, () => true)).rejects.toThrow(InvalidCursorError);
  });

  it('accepts a cursor it issued', async () => {
    const key = await index([{ member: member(1), score: SCORE }]);
    const cursor = encodeCursor({ s: SCORE + 1, m: 'z' });
    expect(await pageIndex(redis, key, { limit: 20, cursor }, loadIds, () => true)).toEqual({ items: [member(1)], nextCursor: null });
  });
});
