import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { batchWritesThisTurn, deleteKeysWithPrefix } from '../../src/redis/connection.js';
import { luaScript } from '../../src/redis/scripts.js';

/**
 * Pins the ioredis behaviour the relay's hand-written Redis pieces rely on (docs/benchmarks.md has
 * the measurements that keep them): corked writes need ioredis to write each command to its
 * socket as it is issued, and the script loader needs a new socket object per connection.
 */

const open: Redis[] = [];
const prefix = `test-client-${randomUUID().slice(0, 8)}`;

async function connect(): Promise<Redis> {
  const redis = new Redis(inject('redisUrl'));
  open.push(redis);
  await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

/** Counts the socket-level writes of a connection: one `_write` or `_writev` is one write to the kernel. */
function countWrites(redis: Redis): { writes: number; chunks: number } {
  const counts = { writes: 0, chunks: 0 };
  const socket = redis.stream as unknown as {
    _write: (...args: unknown[]) => void;
    _writev: (chunks: unknown[], ...rest: unknown[]) => void;
  };
  const write = socket._write.bind(socket);
  const writev = socket._writev.bind(socket);
  socket._write = (...args) => {
    counts.writes += 1;
    counts.chunks += 1;
    write(...args);
  };
  socket._writev = (chunks, ...rest) => {
    counts.writes += 1;
    counts.chunks += chunks.length;
    writev(chunks, ...rest);
  };
  return counts;
}

afterEach(async () => {
  if (open[0]) await deleteKeysWithPrefix(open[0], prefix);
  for (const redis of open.splice(0)) redis.disconnect();
});

describe('ioredis as the relay relies on it', () => {
  it('writes a command to its socket in the call that issues it, so a cork covers every command of the turn', async () => {
    const redis = await connect();
    const counts = countWrites(redis);
    void redis.set(`${prefix}:sync`, '1');
    expect(counts.writes).toBe(1);

    const corked = countWrites(redis);
    batchWritesThisTurn(redis);
    const replies = Promise.all(Array.from({ length: 20 }, (_, i) => redis.set(`${prefix}:k${i}`, String(i))));
    expect(corked.writes).toBe(0);
    expect(await replies).toEqual(Array.from({ length: 20 }, () => 'OK'));
    expect(corked).toEqual({ writes: 1, chunks: 20 });
    expect(await redis.get(`${prefix}:k19`)).toBe('19');
  });

  it('gives each connection a socket of its own, so a script is sent whole again after a reconnect', async () => {
    const redis = await connect();
    const script = luaScript("return redis.call('PING')");
    const sent: string[] = [];
    const evalsha = redis.evalsha.bind(redis);
    const evalWhole = redis.eval.bind(redis);
    Object.assign(redis, {
      evalsha: (...args: Parameters<typeof evalsha>) => (sent.push('evalsha'), evalsha(...args)),
      eval: (...args: Parameters<typeof evalWhole>) => (sent.push('eval'), evalWhole(...args)),
    });
    expect(await script(redis, [], [])).toBe('PONG');
    expect(await script(redis, [], [])).toBe('PONG');
    expect(sent).toEqual(['eval', 'evalsha']);

    const before = redis.stream;
    redis.disconnect(true);
    await new Promise((resolve) => redis.once('ready', resolve));
    expect(redis.stream).not.toBe(before);
    expect(await script(redis, [], [])).toBe('PONG');
    expect(sent).toEqual(['eval', 'evalsha', 'eval']);
  });

  it('answers a script hash Redis does not have with an error naming NOSCRIPT, which the loader answers by sending it whole', async () => {
    const redis = await connect();
    await expect(redis.evalsha('0'.repeat(40), 0)).rejects.toThrow(/NOSCRIPT/);
  });
});
