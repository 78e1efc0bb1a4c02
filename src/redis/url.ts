import type { ClusterNode, RedisOptions } from 'ioredis';

/**
 * `redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/<master name>[/<db>]`: Redis
 * through Sentinel, which ioredis asks for the current master and asks again after a failover.
 * The password is the master's and the sentinels' alike. There is no standard for such URLs; this
 * is the shape other clients (redis-py's Sentinel URLs, Sidekiq) use.
 */
const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/@]+)\/([^/?#]+)(?:\/(\d+))?\/?$/;
const SENTINEL_PORT = 26379;

/** `redis+cluster://[[user]:password@]host:port[,host:port...]`: some nodes of a Redis Cluster, which tell the rest. */
const CLUSTER_URL = /^redis\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/@]+)\/?$/;

/** How REDIS_URL reads: a plain `redis://` or `rediss://` URL, a Sentinel one, or a Cluster one. */
export type RedisTarget =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'sentinel'; readonly options: RedisOptions }
  | { readonly kind: 'cluster'; readonly nodes: ClusterNode[]; readonly options: RedisOptions };

type Address = { host: string; port: number };

function addresses(list: string, defaultPort: number | undefined): Address[] | undefined {
  const parsed = list.split(',').map((address) => {
    const [host = '', port] = address.split(':');
    return { host, port: port === undefined ? (defaultPort ?? Number.NaN) : Number(port) };
  });
  return parsed.some((a) => a.host === '' || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) ? undefined : parsed;
}

function credentials(username: string | undefined, password: string | undefined): RedisOptions {
  const secret = password ? decodeURIComponent(password) : undefined;
  return { ...(username && { username: decodeURIComponent(username) }), ...(secret !== undefined && { password: secret }) };
}

/** The target REDIS_URL names, or a sentence saying what is wrong with it. */
export function parseRedisUrl(url: string): RedisTarget | string {
  if (url.startsWith('redis+sentinel://')) {
    const match = SENTINEL_URL.exec(url);
    if (!match) return 'a Sentinel URL is redis+sentinel://[:password@]host[:port][,host[:port]...]/<master name>[/<db>]';
    const [, username, password, hosts = '', name = '', db] = match;
    const sentinels = addresses(hosts, SENTINEL_PORT);
    if (!sentinels) return `a Sentinel address must be host or host:port, in "${hosts}"`;
    const auth = credentials(username, password);
    return {
      kind: 'sentinel',
      options: {
        sentinels,
        name: decodeURIComponent(name),
        ...auth,
        ...(auth.password !== undefined && { sentinelPassword: auth.password }),
        ...(db !== undefined && { db: Number(db) }),
      },
    };
  }
  if (url.startsWith('redis+cluster://')) {
    const match = CLUSTER_URL.exec(url);
    if (!match) return 'a Cluster URL is redis+cluster://[:password@]host:port[,host:port...] (Redis Cluster has no databases)';
    const [, username, password, hosts = ''] = match;
    const nodes = addresses(hosts, undefined);
    if (!nodes) return `a Cluster node address must be host:port, in "${hosts}"`;
    return { kind: 'cluster', nodes, options: credentials(username, password) };
  }
  if (!/^rediss?:\/\//.test(url)) return 'must start with redis://, rediss://, redis+sentinel:// or redis+cluster://';
  try {
    new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  return { kind: 'url', url };
}

/** A key prefix whose hash tag puts every key of the relay in one Cluster slot, as its scripts need. */
export const HASH_TAGGED = /\{[^{}]+\}/;

/** REDIS_URL without its password, for logs and messages. */
export const redactRedisUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');
