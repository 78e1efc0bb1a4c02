import { afterEach, describe, expect, it } from 'vitest';
import { githubPush } from '../support/payloads.js';
import { startTestRelay, type TestRelay } from '../support/relay.js';
import { commitRules } from '../support/rules.js';

const RULES = commitRules({ source: 'github', routes: [{ jobId: '00000000-0000-4000-8000-000000000001' }] });

let relay: TestRelay | undefined;
afterEach(async () => relay?.close());

/** The plugin samples the process once a second; until its first sample it has nothing to refuse on. */
async function firstSample(r: TestRelay): Promise<void> {
  await expect.poll(() => r.relay.app!.memoryUsage().heapUsed, { timeout: 5_000, interval: 50 }).toBeGreaterThan(0);
}

let pushes = 0;
// A distinct commit each: the same signed content twice is a duplicate whatever its delivery id.
const push = () => githubPush({ repository: 'acme/api', branch: 'main', commit: (++pushes).toString(16).padStart(40, 'b') });

describe('back-pressure', () => {
  it('answers 503 RELAY_OVERLOADED with Retry-After once memory is over its threshold, and keeps liveness and metrics answering', async () => {
    // Any heap is over one byte: the relay counts as saturated from its first sample on.
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api', PRESSURE_MAX_HEAP_USED_BYTES: 1, PRESSURE_RETRY_AFTER_S: 7 });
    const app = relay.relay.app!;
    await firstSample(relay);
    const { body, headers } = push();
    const refused = await app.inject({ method: 'POST', url: '/webhooks/github', payload: body, headers });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('7');
    expect(refused.json()).toEqual({ code: 'RELAY_OVERLOADED', message: expect.stringContaining('overloaded'), reqId: expect.any(String) });
    // Nothing of the refused webhook was stored.
    expect((await relay.get('/deliveries')).statusCode).toBe(503);
    expect((await relay.redis.keys(`${relay.prefix}:dlv:*`)).length).toBe(0);

    // Readiness follows the pressure (a load balancer stops sending), liveness and metrics do not.
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().code).toBe('RELAY_OVERLOADED');
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });

  it('takes webhooks when under its thresholds', async () => {
    // The production defaults: event loop delay 1 s, memory unchecked.
    relay = await startTestRelay(RULES, { RELAY_ROLE: 'api', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 1_000 });
    // Past the first sample, so a check that would refuse has had its chance to.
    await firstSample(relay);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const { body, headers } = push();
      answers.push((await relay.post('github', body, headers)).statusCode);
    }
    expect(answers).toEqual([202, 202, 202]);
  });
});
