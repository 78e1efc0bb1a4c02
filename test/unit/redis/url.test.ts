import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../../src/config/env.js';
import { parseRedisUrl, redactRedisUrl } from '../../../src/redis/url.js';

describe('REDIS_URL', () => {
  it('takes plain redis:// and rediss:// URLs as they are', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({ kind: 'url', url: 'redis://127.0.0.1:6379/2' });
    expect(parseRedisUrl('rediss://:pw@cache.example.com:6380')).toEqual({ kind: 'url', url: 'rediss://:pw@cache.example.com:6380' });
  });

  it('reads a Sentinel URL: every sentinel (26379 when no port is given), the master name, the password and the database', () => {
    expect(parseRedisUrl('redis+sentinel://:s%40cret@10.0.0.1:26380,10.0.0.2/relay-master/3')).toEqual({
      kind: 'sentinel',
      options: {
        sentinels: [
          { host: '10.0.0.1', port: 26380 },
          { host: '10.0.0.2', port: 26379 },
        ],
        name: 'relay-master',
        password: 's@cret',
        sentinelPassword: 's@cret',
        db: 3,
      },
    });
  });

  it('reads a Cluster URL: the nodes to start from and the password', () => {
    expect(parseRedisUrl('redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      options: { password: 'pw' },
    });
  });

  it('asks a Cluster relay for a hash-tagged key prefix, since its scripts touch several keys at once', () => {
    expect(() => loadEnv({ REDIS_URL: 'redis+cluster://10.0.0.1:7000', RELAY_KEY_PREFIX: 'relay' })).toThrow(
      /RELAY_KEY_PREFIX: with Redis Cluster it must hold a hash tag/,
    );
    expect(loadEnv({ REDIS_URL: 'redis+cluster://10.0.0.1:7000', RELAY_KEY_PREFIX: '{relay}' }).RELAY_KEY_PREFIX).toBe('{relay}');
  });

  it('names what is wrong with one it cannot use, at start-up like every other variable', () => {
    expect(parseRedisUrl('redis+sentinel://10.0.0.1:26379')).toMatch(/^a Sentinel URL is redis\+sentinel:\/\//);
    expect(parseRedisUrl('redis+sentinel://10.0.0.1:notaport/m')).toBe('a Sentinel address must be host or host:port, in "10.0.0.1:notaport"');
    expect(parseRedisUrl('http://127.0.0.1:6379')).toBe('must start with redis://, rediss://, redis+sentinel:// or redis+cluster://');
    expect(parseRedisUrl('redis+cluster://10.0.0.1')).toBe('a Cluster node address must be host:port, in "10.0.0.1"');
    expect(() => loadEnv({ REDIS_URL: 'redis+sentinel://h/' })).toThrow(/REDIS_URL: a Sentinel URL is/);
  });

  it('hides the password in what it logs', () => {
    expect(redactRedisUrl('redis+sentinel://:pw@h1,h2/m')).toBe('redis+sentinel://***@h1,h2/m');
  });
});
