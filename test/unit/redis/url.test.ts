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

  it('names what is wrong with one it cannot use, at start-up like every other variable', () => {
    expect(parseRedisUrl('redis+sentinel://10.0.0.1:26379')).toMatch(/^a Sentinel URL is redis\+sentinel:\/\//);
    expect(parseRedisUrl('redis+sentinel://10.0.0.1:notaport/m')).toBe('a Sentinel address must be host or host:port, in "10.0.0.1:notaport"');
    expect(parseRedisUrl('http://127.0.0.1:6379')).toBe('must start with redis://, rediss:// or redis+sentinel://');
    expect(() => loadEnv({ REDIS_URL: 'redis+sentinel://h/' })).toThrow(/REDIS_URL: a Sentinel URL is/);
  });

  it('hides the password in what it logs', () => {
    expect(redactRedisUrl('redis+sentinel://:pw@h1,h2/m')).toBe('redis+sentinel://***@h1,h2/m');
  });
});
