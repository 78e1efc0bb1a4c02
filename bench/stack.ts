import { randomUUID } from 'node:crypto';
import { startFake, type FakeQovery } from './fake.js';
import type { scope } from './cleanup.js';
import { deleteKeys, startPrivateRedis, type PrivateRedis } from './redis.js';
import { startRelayProcess, type RelayOptions, type RelayProcess } from './relay-process.js';
import type { BenchContext } from './report.js';

export interface Stack {
  readonly redis: PrivateRedis;
  readonly fake: FakeQovery;
  readonly prefix: string;
  readonly relay: RelayProcess;
}

/**
 * A private Redis, the fake Qovery and one relay process pointed at both, each registered with
 * `resources` so they are stopped (relay first, keys deleted, Redis last) whatever happens.
 * QOVERY_MAX_REQUESTS_PER_HOUR and RATE_LIMIT_MAX are set very high: the defaults would throttle
 * the load these scenarios make.
 */
export async function startStack(
  ctx: BenchContext,
  resources: ReturnType<typeof scope>,
  options: Pick<RelayOptions, 'name' | 'role' | 'rulesYaml' | 'env' | 'nodeArgs'> & { readonly scriptFake?: (fake: FakeQovery) => void },
): Promise<Stack> {
  const redis = resources.defer(await startPrivateRedis(), (r) => r.stop());
  const prefix = resources.defer(`bench-${options.name}-${randomUUID().slice(0, 8)}`, (p) => deleteKeys(redis.client, p));
  const fake = resources.defer(await startFake(), (f) => f.close());
  options.scriptFake?.(fake);
  const relay = resources.defer(
    await startRelayProcess({
      build: ctx.build,
      name: options.name,
      role: options.role,
      redisUrl: redis.url,
      prefix,
      rulesYaml: options.rulesYaml,
      ...(options.nodeArgs && { nodeArgs: options.nodeArgs }),
      qoveryUrl: fake.url,
      env: { QOVERY_MAX_REQUESTS_PER_HOUR: '1000000000', RATE_LIMIT_MAX: '1000000000', ...options.env },
      ...(ctx.cpuProfDir && { cpuProfDir: ctx.cpuProfDir }),
    }),
    (r) => r.stop(),
  );
  return { redis, fake, prefix, relay };
}
