import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleRelay } from '../../scripts/bundle.js';
import { sign } from '../fakes/signers.js';
import { githubPush } from '../support/payloads.js';
import { freePort } from '../support/redis-provision.js';
import { spawnRelay, workerEnv, type RelayProcess } from '../support/relay-process.js';
import { API_TOKEN, startTestRelay, type TestRelay } from '../support/relay.js';
import { commitRules } from '../support/rules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const JOB = '00000000-0000-4000-8000-000000000601';
const RULES = commitRules({ source: 'github', routes: [{ jobId: JOB }] });

let relay: TestRelay | undefined;
let child: RelayProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  await child?.kill('SIGKILL');
  await relay?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * `npm start` runs the esbuild bundle, not the sources the other tests run: what the bundle leaves
 * out, or a dependency that breaks when bundled, shows only here.
 */
describe('the bundled relay (dist/bundle, as npm start runs it)', () => {
  it('serves the dashboard, takes a signed push and follows its deploy to succeeded; its CLI checks a rules file', async () => {
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
    // The layout of a checkout: dist/bundle beside dist/web, node_modules above them.
    dir = await mkdtemp(join(tmpdir(), 'relay-bundle-'));
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    await mkdir(join(dir, 'dist'));
    await symlink(join(ROOT, 'dist/web'), join(dir, 'dist/web'));
    await bundleRelay({ sourceRoot: ROOT, entries: ['src/main.ts', 'src/cli.ts'], outDir: join(dir, 'dist/bundle') });
    const rulesPath = join(dir, 'relay.config.yaml');
    await writeFile(rulesPath, RULES);

    const checked = spawnSync(process.execPath, [join(dir, 'dist/bundle/cli.js'), 'check-config', rulesPath], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      encoding: 'utf8',
    });
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toContain('1 route (api-main)');

    const port = await freePort();
    const env = workerEnv(relay, rulesPath, { RELAY_ROLE: 'all', PORT: String(port), HOST: '127.0.0.1', RELAY_API_TOKEN: API_TOKEN });
    child = spawnRelay(env, join(dir, 'dist/bundle/main.js'));
    const output = child.output;
    const base = `http://127.0.0.1:${port}`;
    await expect.poll(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status, { timeout: 20_000 }).toBe(200);

    const page = await fetch(`${base}/`);
    expect(page.status, output()).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    // Swagger UI's own files come from node_modules (left out of the bundle), the document from the bundle.
    for (const path of ['/docs/json', '/docs/static/swagger-ui.css']) expect((await fetch(`${base}${path}`)).status, `${path}\n${output()}`).toBe(200);

    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: '7'.repeat(40) });
    const raw = Buffer.from(JSON.stringify(push.body));
    const response = await fetch(`${base}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...push.headers, ...sign(relay.rules.sources[0]!, raw).headers },
      body: raw,
    });
    expect(response.status, output()).toBe(202);
    const { deployments } = (await response.json()) as { deployments: Array<{ id: string }> };
    const statusOf = async () => {
      const answer = await fetch(`${base}/deployments/${deployments[0]!.id}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
      return ((await answer.json()) as { status: string }).status;
    };
    await expect.poll(statusOf, { timeout: 30_000 }).toBe('succeeded');
    expect(relay.fake.deployCalls(JOB)).toHaveLength(1);
  }, 90_000);
});
