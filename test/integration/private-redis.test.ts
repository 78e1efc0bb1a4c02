import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { redisAnswers, redisForRelay } from '../../src/redis/private-server.js';
import { freePort } from '../support/redis-provision.js';

/**
 * The process-level wiring reads the default address (127.0.0.1:6379), which this machine may well
 * serve; these tests drive the same function with a default where nothing listens.
 */
let dir: string | undefined;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function capturingLogger() {
  const lines: Array<{ msg: string; level: number }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as { msg: string; level: number });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('the private redis-server of a first run', () => {
  it('starts when REDIS_URL was not set and nothing answers at the default, keeps its data in the folder, says so, and stops', async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-private-redis-'));
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const { logger, lines } = capturingLogger();
    const redis = await redisForRelay({ url: dead, explicit: false, allInOne: true, dir: join(dir, '.relay-redis'), logger });
    stop = () => redis.stop();
    expect(redis.url).not.toBe(dead);
    expect(await redisAnswers(redis.url, 1_000)).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^no Redis answers at redis:\/\/127\.0\.0\.1:\d+: started a private redis-server from PATH/),
    ]);
    const pid = Number(await readFile(join(dir, '.relay-redis', 'redis.pid'), 'utf8'));
    expect(pid).toBeGreaterThan(0);

    await redis.stop();
    stop = undefined;
    expect(await redisAnswers(redis.url, 500)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    // The append-only file stays for the next run.
    expect(existsSync(join(dir, '.relay-redis', 'appendonlydir'))).toBe(true);
  });

  it('never replaces an address that was set explicitly, nor one shared by API and worker processes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-private-redis-'));
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const { logger, lines } = capturingLogger();
    for (const options of [
      { explicit: true, allInOne: true },
      { explicit: false, allInOne: false },
    ]) {
      const redis = await redisForRelay({ url: dead, ...options, dir: join(dir, '.relay-redis'), logger });
      expect(redis.url).toBe(dead);
    }
    expect(lines).toEqual([]);
    expect(existsSync(join(dir, '.relay-redis'))).toBe(false);
  });
});
