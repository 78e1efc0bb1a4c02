import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo', () => {
  it('runs a relay against the fake Qovery, sees its signed push succeed, prints how to look at it, and exits 0', async () => {
    const child = spawn('npm', ['run', '--silent', 'demo'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), REDIS_URL: inject('redisUrl') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(output).toMatch(/^deployment dep_\w+ succeeded [\d.]+ s after the webhook; the fake Qovery got 1 deploy call/m);
    expect(output).toMatch(/curl -s http:\/\/127\.0\.0\.1:\d+\/deployments\/dep_\w+ -H 'authorization: Bearer demo-\w+'/);
    expect(code).toBe(0);
  }, 60_000);
});
