import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRulesReloader } from '../../src/config/reload.js';
import { loadRulesReading } from '../../src/config/rules.js';
import { API_TOKEN, startTestRelay, type TestRelay } from '../support/relay.js';
import { githubPush } from '../support/payloads.js';
import { sign } from '../fakes/signers.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const rulesFor = (branch: string) => `
sources:
  - name: github
    type: github
    secret: gh-secret-for-tests
routes:
  - name: api
    source: github
    match: { repository: acme/api, branch: ${branch} }
    target: { jobId: ${JOB}, forceEvent: START }
    deploy: { tag: "{branch}-{commit:7}" }
`;

let relay: TestRelay;
let dir: string | undefined;
afterEach(async () => {
  await relay?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function rulesTest(payload: unknown) {
  const response = await relay.relay.app!.inject({
    method: 'POST',
    url: '/rules/test',
    headers: { authorization: `Bearer ${API_TOKEN}` },
    payload: payload as object,
  });
  return { statusCode: response.statusCode, json: response.json() };
}

describe('POST /rules/test explains what the relay would do, without enqueuing anything', () => {
  it('shows the matching route with the rendered tag, and reports the unsigned request as such', async () => {
    relay = await startTestRelay(rulesFor('main'), { RELAY_ROLE: 'api' });
    const push = githubPush({ repository: 'acme/api', branch: 'main', commit: 'abcdef1234567890'.padEnd(40, '0') });
    const result = await rulesTest({ source: 'github', headers: push.headers, body: push.body });
    expect(result.statusCode).toBe(200);
    expect(result.json).toMatchObject({
      outcome: 'unauthorized',
      wouldAnswer: 401,
      authentication: { ok: false, reason: expect.stringContaining('x-hub-signature-256') },
      deployments: [{ route: 'api', jobId: JOB, imageTag: 'main-abcdef1', forceEvent: 'START' }],
    });

    const raw = JSON.stringify(push.body);
    const signed = sign(relay.rules.sources[0]!, Buffer.from(raw));
    const verified = await rulesTest({ source: 'github', headers: { ...push.headers, ...signed.headers }, rawBody: raw });
    expect(verified.json).toMatchObject({ outcome: 'deploy', wouldAnswer: 202, authentication: { ok: true }, alreadySeen: false });
    expect((await relay.get('/deliveries')).json.deliveries).toEqual([]);
    expect(relay.fake.deployCalls()).toHaveLength(0);
  });

  it('explains a non-match with the closest mismatch', async () => {
    relay = await startTestRelay(rulesFor('main'), { RELAY_ROLE: 'api' });
    const push = githubPush({ repository: 'acme/api', branch: 'dev', commit: '2'.repeat(40) });
    const result = await rulesTest({ source: 'github', headers: push.headers, body: push.body });
    expect(result.json).toMatchObject({
      outcome: 'unauthorized',
      deployments: [],
      reason: expect.stringContaining('branch "dev" does not match "main"'),
      read: [{ branch: 'dev' }],
    });
  });

  it('answers an unknown source and a malformed test request clearly', async () => {
    relay = await startTestRelay(rulesFor('main'), { RELAY_ROLE: 'api' });
    expect((await rulesTest({ source: 'nope', body: {} })).json).toMatchObject({ outcome: 'unknown_source', wouldAnswer: 404 });
    const bad = await rulesTest({ headers: {} });
    expect(bad.statusCode).toBe(400);
    expect(bad.json.message).toContain('source');
  });
});

describe('rules reload', () => {
  it('applies a valid new file on change and keeps the old rules when the new file is invalid', async () => {
    relay = await startTestRelay(rulesFor('main'), { RELAY_ROLE: 'api' });
    dir = await mkdtemp(join(tmpdir(), 'relay-rules-'));
    const path = join(dir, 'relay.config.yaml');
    await writeFile(path, rulesFor('main'));
    const lines: any[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
    const reloader = createRulesReloader({ path, read: () => loadRulesReading(path, {}), apply: (rules) => relay.relay.rules.replace(rules), logger });
    reloader.watch();
    try {
      const push = githubPush({ repository: 'acme/api', branch: 'develop', commit: '3'.repeat(40) });
      expect((await relay.post('github', push.body, push.headers)).json.ignored).toBeDefined();

      await writeFile(path, rulesFor('develop'));
      await expect.poll(() => lines.some((l) => l.msg === 'rules reloaded'), { timeout: 5_000 }).toBe(true);
      const again = githubPush({ repository: 'acme/api', branch: 'develop', commit: '4'.repeat(40) });
      expect((await relay.post('github', again.body, again.headers)).json.deployments).toHaveLength(1);

      await writeFile(path, 'sources: [ { name: github, type: nope } ]');
      expect(await reloader.reload('SIGHUP')).toBe(false);
      const refused = lines.find((l) => l.msg.startsWith('new rules refused'));
      expect(refused.problems.join('\n')).toContain('unknown source type "nope"');
      const still = githubPush({ repository: 'acme/api', branch: 'develop', commit: '5'.repeat(40) });
      expect((await relay.post('github', still.body, still.headers)).json.deployments).toHaveLength(1);
    } finally {
      reloader.close();
    }
  });
});
