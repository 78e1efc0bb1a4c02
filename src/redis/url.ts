import type { RedisOptions } from 'ioredis';

/**
 * `redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/<master name>[/<db>]`: Redis
 * through Sentinel, which ioredis asks for the current master and asks again after a failover.
 * The password is the master's and the sentinels' alike. There is no standard for such URLs; this
 * is the shape other clients (redis-py's Sentinel URLs, Sidekiq) use.
 */
const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/@]+)\/([^/?#]+)(?:\/(\d+))?\/?$/;
const SENTINEL_PORT = 26379;

/** How REDIS_URL reads: a plain `redis://` or `rediss://` URL, or a Sentinel one. */
export type RedisTarget = { readonly kind: 'url'; readonly url: string } | { readonly kind: 'sentinel'; readonly options: RedisOptions };

/** The target REDIS_URL names, or a sentence saying what is wrong with it. */
export function parseRedisUrl(url: string): RedisTarget | string {
  if (url.startsWith('redis+sentinel://')) {
    const match = SENTINEL_URL.exec(url);
    if (!match) return 'a Sentinel URL is redis+sentinel://[:password@]host[:port][,host[:port]...]/<master name>[/<db>]';
    const [, username, password, hosts = '', name = '', db] = match;
    const sentinels = hosts.split(',').map((address) => {
      const [host = '', port] = address.split(':');
      return { host, port: port === undefined ? SENTINEL_PORT : Number(port) };
    });
    if (sentinels.some((s) => s.host === '' || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535))
      return `a Sentinel address must be host or host:port, in "${hosts}"`;
    const secret = password ? decodeURIComponent(password) : undefined;
    return {
      kind: 'sentinel',
      options: {
        sentinels,
        name: decodeURIComponent(name),
        ...(username && { username: decodeURIComponent(username) }),
        ...(secret !== undefined && { password: secret, sentinelPassword: secret }),
        ...(db !== undefined && { db: Number(db) }),
      },
    };
  }
  if (!/^rediss?:\/\//.test(url)) return 'must start with redis://, rediss:// or redis+sentinel://';
  try {
    new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  return { kind: 'url', url };
}

/** REDIS_URL without its password, for logs and messages. */
export const redactRedisUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');
