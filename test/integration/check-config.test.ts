import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE_ENV = parseEnv(readFileSync(join(ROOT, '.env.example'), 'utf8')) as Record<string, string>;

/** `deploy-relay check-config` as a real process, configured only through its arguments and environment. */
function checkConfig(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  // An empty working directory, so a developer's ./.env does not take part in the check.
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/cli.ts'), 'check-config', ...args], {
    cwd: mkdtempSync(join(tmpdir(), 'relay-check-cwd-')),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('deploy-relay check-config', () => {
  it('prints every problem of the rules file and the environment in one run and exits 1', async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-check-'));
    const file = join(dir, 'rules.yaml');
    await writeFile(
      file,
      [
        'sources:',
        '  - { name: github, type: github, secret: "" }',
        `  - { name: hub, type: dockerhub, token: ${'t'.repeat(300)} }`,
        '  - { name: gitlab, type: gitlab, token: "${GITLAB_TOKEN}" }',
        'routes:',
        '  - { name: api, source: github, target: { jobId: not-a-uuid }, deploy: commit }',
        '  - { name: worker, source: quay, target: { jobId: 00000000-0000-4000-8000-000000000002 }, deploy: tag }',
        '',
      ].join('\n'),
    );
    const { code, output } = await checkConfig([file], { PORT: 'eighty' });
    expect(code).toBe(1);
    expect(output).toMatch(/check-config: 6 problems:/);
    expect(output).toContain('environment: PORT: ');
    expect(output).toContain(`rules file ${file}: \${GITLAB_TOKEN} is referenced but the environment variable is not set`);
    expect(output).toContain(`rules file ${file}: sources.0.secret: is empty (the value is empty)`);
    expect(output).toContain(`rules file ${file}: sources.1.token: must be at most 256 characters`);
    expect(output).toMatch(/routes\.0\.target\.jobId: /);
    expect(output).toContain(`rules file ${file}: routes.1.source: no source is named "quay"`);
  });

  it('names a route whose deploy: its service kind cannot take', async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-check-'));
    const file = join(dir, 'rules.yaml');
    await writeFile(
      file,
      [
        'sources:',
        '  - { name: hub, type: dockerhub, token: hub-token-0123456789 }',
        'routes:',
        '  - { name: web, source: hub, target: { applicationId: 00000000-0000-4000-8000-0000000000a1 }, deploy: tag }',
        '',
      ].join('\n'),
    );
    const { code, output } = await checkConfig([file], {});
    expect(code).toBe(1);
    expect(output).toContain(`rules file ${file}: routes.0.deploy: route "web": an application is deployed by commit, not by tag`);
  });

  it('exits 0 with a short summary for the example files as shipped', async () => {
    const { code, output } = await checkConfig([join(ROOT, 'relay.config.example.yaml')], EXAMPLE_ENV);
    expect(output).toMatch(
      /^ok: \S*relay\.config\.example\.yaml: 2 sources \(github, hub\), 2 routes \(api-main, worker-release\); environment: role all, DEPLOY_MODE dry-run/m,
    );
    // The placeholders are fine for a dry run, and said to be placeholders.
    expect(output).toMatch(/^warning: source github: its secret holds the example's placeholder/m);
    expect(code).toBe(0);
  });

  it('reads the rules file from RELAY_CONFIG when no file is given', async () => {
    const { code, output } = await checkConfig([], { ...EXAMPLE_ENV, RELAY_CONFIG: 'no/such/file.yaml' });
    expect(code).toBe(1);
    expect(output).toMatch(/Cannot read rules file|rules file no\/such\/file\.yaml: ENOENT/);
  });
});
