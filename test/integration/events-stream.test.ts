import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { relayEventSchema } from '../../src/events/schema.js';
import { compareStreamIds } from '../../src/events/feed.js';
import { githubPush } from '../support/payloads.js';
import { API_TOKEN, deploymentWhen, startTestRelay, type TestRelay } from '../support/relay.js';
import { commitRules } from '../support/rules.js';
import { openEventStream, type EventStreamClient } from '../support/sse.js';

/** `GET /events` over real HTTP connections: live, typed, resumable with Last-Event-ID. */
const JOB = '00000000-0000-4000-8000-0000000000e1';
const RULES = commitRules({ source: 'github', routes: [{ jobId: JOB }] });
const AUTH = { authorization: `Bearer ${API_TOKEN}` };

let relay: TestRelay;
let url: string;
const clients: EventStreamClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await relay?.close();
});

async function start(): Promise<void> {
  relay = await startTestRelay(RULES);
  await relay.relay.app?.listen({ port: 0, host: '127.0.0.1' });
  const { port } = relay.relay.app?.server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
}

async function open(headers: Record<string, string> = {}): Promise<EventStreamClient> {
  const client = await openEventStream(`${url}/events`, { ...AUTH, ...headers });
  clients.push(client);
  return client;
}

const push = (n: number) => githubPush({ repository: 'acme/api', branch: 'main', commit: `${n}`.repeat(40).slice(0, 40) });

/** What the stream holds, as `GET /events` would send it. */
async function streamed(): Promise<Array<{ id: string; data: unknown }>> {
  const entries = (await relay.redis.xrange(`${relay.prefix}:events`, '-', '+')) as Array<[string, string[]]>;
  return entries.map(([id, fields]) => ({ id, data: JSON.parse(fields[1] as string) as unknown }));
}

describe('GET /events', () => {
  it('needs the bearer token and refuses a Last-Event-ID that is not an event id', async () => {
    await start();
    const anonymous = await fetch(`${url}/events`, { headers: { accept: 'text/event-stream' } });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('RELAY_UNAUTHORIZED');
    const bad = await fetch(`${url}/events`, { headers: { ...AUTH, 'last-event-id': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe('Last-Event-ID "yesterday" is not an event id of this relay (<ms>-<seq>)');
  });

  it('sends each stored delivery and every status change live, typed by the one event schema, in order', async () => {
    await start();
    const client = await open();
    expect(client.status).toBe(200);
    expect(client.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sent = push(1);
    const { json } = await relay.post('github', sent.body, sent.headers);
    const id = json.deployments[0].id as string;
    await expect.poll(() => client.events.at(-1)?.data, { timeout: 10_000 }).toContain('"status":"succeeded"');
    const parsed = client.events.map((e) => ({ ...e, data: relayEventSchema.parse(JSON.parse(e.data)) }));
    expect(parsed.slice(0, 2).map((e) => [e.event, e.data.type, e.data.type === 'notification' ? e.data.deploymentId : e.data.id])).toEqual([
      ['deployment', 'deployment', id],
      ['delivery', 'delivery', sent.headers['x-github-delivery']],
    ]);
    // Each status once, in order (Qovery's progress may record in_progress more than once).
    expect([...new Set(parsed.slice(2).map((e) => (e.data.type === 'deployment' ? e.data.status : e.data.type)))]).toEqual([
      'deploying',
      'accepted',
      'in_progress',
      'succeeded',
    ]);
    // Ids are the stream's, increasing, and what the stream holds is exactly what was sent.
    const ids = parsed.map((e) => e.id as string);
    expect([...ids].sort(compareStreamIds)).toEqual(ids);
    expect(await streamed()).toEqual(parsed.map((e) => ({ id: e.id, data: e.data })));
  });

  it('a client that reconnects with Last-Event-ID gets what it missed, once, then the live feed', async () => {
    await start();
    const first = await open();
    const a = push(2);
    const deploymentA = (await relay.post('github', a.body, a.headers)).json.deployments[0].id as string;
    await expect.poll(() => first.events.length).toBeGreaterThanOrEqual(2);
    first.close();
    const lastSeen = first.events.at(-1)?.id as string;
    // Missed while disconnected: the rest of A's deployment.
    await deploymentWhen(relay, deploymentA);
    const again = await open({ 'last-event-id': lastSeen });
    const b = push(3);
    const deploymentB = (await relay.post('github', b.body, b.headers)).json.deployments[0].id as string;
    await deploymentWhen(relay, deploymentB);
    await expect.poll(() => again.events.at(-1)?.data, { timeout: 10_000 }).toMatch(new RegExp(`"id":"${deploymentB}".*"status":"succeeded"`));
    const all = await streamed();
    const after = all.slice(all.findIndex((e) => e.id === lastSeen) + 1);
    expect(again.events.map((e) => ({ id: e.id, data: JSON.parse(e.data) as unknown }))).toEqual(after);
  });

  it('a Last-Event-ID older than the stream keeps gets a reset event first, then the live feed', async () => {
    await start();
    const a = push(4);
    await deploymentWhen(relay, (await relay.post('github', a.body, a.headers)).json.deployments[0].id as string);
    const [oldest] = await streamed();
    await relay.redis.xtrim(`${relay.prefix}:events`, 'MAXLEN', 1);
    const client = await open({ 'last-event-id': oldest?.id as string });
    await expect.poll(() => client.events.map((e) => e.event)).toEqual(['reset']);
    const b = push(5);
    await relay.post('github', b.body, b.headers);
    await expect.poll(() => client.events.map((e) => e.event).slice(0, 3)).toEqual(['reset', 'deployment', 'delivery']);
  });

  it('an open stream does not hold up shutdown: the relay ends it', { timeout: 15_000 }, async () => {
    await start();
    const client = await open();
    // A stream left open would hold the close for its whole minute, past this test's timeout.
    await relay.relay.close(60_000);
    await client.ended;
  });
});
