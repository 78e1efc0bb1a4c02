import type { TestProject } from 'vitest/node';
import { provideRedis } from './redis-provision.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await provideRedis();
  process.stderr.write(`tests use Redis from ${redis.how}\n`);
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
