import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

/**
 * The first call on each socket sends the whole script (EVAL), later ones only its hash
 * (EVALSHA), as ioredis does for its defined commands: a Redis that restarted or failed over has
 * an empty script cache, and a NOSCRIPT there would make a script run after the commands sent
 * behind it. A NOSCRIPT anyway (SCRIPT FLUSH) is answered by sending the script again.
 */
export function luaScript(source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  const sentOn = new WeakSet<object>();
  return async (redis: RedisClient, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> => {
    const socket = 'stream' in redis ? redis.stream : undefined;
    if (socket && !sentOn.has(socket)) {
      sentOn.add(socket);
      try {
        return await redis.eval(source, keys.length, ...keys, ...args);
      } catch (error) {
        sentOn.delete(socket);
        throw error;
      }
    }
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
