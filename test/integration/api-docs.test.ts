import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DOCS_PREFIX } from '../../src/http/docs.js';
import { DASHBOARD_DIR } from '../../src/http/dashboard.js';
import { API_TOKEN, startTestRelay, type TestRelay } from '../support/relay.js';
import { commitRules } from '../support/rules.js';

const RULES = commitRules({ source: 'github', routes: [{ jobId: '00000000-0000-4000-8000-000000000001' }] });

let relay: TestRelay;
let app: FastifyInstance;
let doc: any;
beforeAll(async () => {
  relay = await startTestRelay(RULES, { RELAY_ROLE: 'api' });
  app = relay.relay.app!;
  const response = await app.inject({ url: `${DOCS_PREFIX}/json` });
  expect(response.statusCode).toBe(200);
  doc = response.json();
});
afterAll(async () => relay?.close());

/**
 * Every route Fastify has, as `METHOD /path` in OpenAPI's spelling, read from its route tree
 * (`printRoutes`), so a route added anywhere is found without a list to keep up to date.
 */
function registeredRoutes(fastify: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      // HEAD is Fastify's automatic twin of each GET.
      if (method !== 'HEAD') routes.push(`${method} ${path}`);
    }
  }
  return routes;
}

const documentedRoutes = (): string[] =>
  Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));

describe('the OpenAPI document at /docs/json', () => {
  it('is OpenAPI 3 and lists every route the relay registered (the UI under /docs and the dashboard page aside)', () => {
    expect(doc.openapi).toMatch(/^3\./);
    // The dashboard's files are a page, not API: `/` and the built files it serves.
    const dashboardFile = (path: string) => path === '/' || existsSync(join(DASHBOARD_DIR, path));
    const routes = registeredRoutes(app).filter((r) => !r.split(' ')[1]!.startsWith(DOCS_PREFIX) && !dashboardFile(r.split(' ')[1]!));
    // The tree parse itself must have found the routes, or this test could pass on nothing.
    expect(routes).toEqual(expect.arrayContaining(['POST /webhooks/{source}', 'POST /webhooks/{source}/{token}', 'GET /deployments/{id}', 'GET /metrics']));
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const missing = routes.filter((r) => !documentedRoutes().includes(r));
    expect(missing, 'routes missing from /docs/json').toEqual([]);
  });

  it('describes the history queries, their bearer auth and their answers', () => {
    const list = doc.paths['/deployments'].get;
    const query = Object.fromEntries(list.parameters.filter((p: any) => p.in === 'query').map((p: any) => [p.name, p.schema]));
    expect(Object.keys(query).sort()).toEqual(['cursor', 'jobId', 'limit', 'route', 'since', 'source', 'status', 'targetId', 'targetKind', 'until']);
    expect(query.limit).toMatchObject({ type: 'integer', minimum: 1, maximum: 200, default: 50 });
    expect(query.status.enum).toContain('succeeded');
    expect(list.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const deployment = list.responses['200'].content['application/json'].schema.properties.deployments.items;
    expect(deployment.properties).toHaveProperty('transitions');
    expect(deployment.properties).not.toHaveProperty('order');
    expect(list.responses['400'].content['application/json'].schema.required).toEqual(['code', 'message', 'reqId']);
    expect(doc.paths['/deliveries/{id}'].get.parameters.map((p: any) => `${p.in}:${p.name}`).sort()).toEqual(['path:id', 'query:source']);
    expect(doc.paths['/rules/test'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('rawBody');
  });

  it('describes GET /events as a text/event-stream of the typed events, resumable with Last-Event-ID', () => {
    const events = doc.paths['/events'].get;
    expect(events.security).toEqual([{ bearer: [] }]);
    const frame = events.responses['200'].content['text/event-stream'].schema;
    expect(frame.properties.event.enum).toEqual(['delivery', 'deployment', 'notification', 'reset']);
    expect(frame.properties.data.oneOf.map((s: any) => s.properties.type.enum[0])).toEqual(['delivery', 'deployment', 'notification']);
    expect(events.parameters.map((p: any) => p.name)).toContain('lastEventId');
  });

  it('describes the webhooks as taking any JSON body, with each provider auth header', () => {
    const webhook = doc.paths['/webhooks/{source}'].post;
    expect(webhook.requestBody.content['application/json'].schema).not.toHaveProperty('type');
    const headers = webhook.parameters.filter((p: any) => p.in === 'header').map((p: any) => p.name);
    expect(headers).toEqual(expect.arrayContaining(['x-hub-signature-256', 'x-gitlab-token', 'x-relay-signature', 'authorization']));
    expect(Object.keys(webhook.responses).sort()).toEqual(['200', '202', '400', '401', '404', '413', '429', '503']);
    expect(doc.paths['/webhooks/{source}/{token}'].post.parameters.map((p: any) => p.name)).toContain('token');
  });

  it('serves the Swagger UI from the package itself, with no CDN', async () => {
    const page = await app.inject({ url: DOCS_PREFIX });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('swagger-ui');
    // Every script and stylesheet is relative: served by the relay, not fetched from elsewhere.
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const bundle = await app.inject({ url: `${DOCS_PREFIX}/static/swagger-ui-bundle.js` });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.body.length).toBeGreaterThan(100_000);
  });
});

describe('requests checked against the documented schemas', () => {
  const get = (url: string, token: string | null = API_TOKEN) => app.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answer a bad query 400 RELAY_BAD_REQUEST naming the field, in the {code, message, reqId} shape', async () => {
    const response = await get('/deployments?limit=0&status=nope');
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body).toEqual({ code: 'RELAY_BAD_REQUEST', message: expect.stringMatching(/limit: .*; status: /), reqId: expect.any(String) });
  });

  it('answer an unknown query key and an empty ?source= 400, not 500', async () => {
    expect((await get('/deliveries?colour=blue')).json().code).toBe('RELAY_BAD_REQUEST');
    const empty = await get('/deliveries/some-id?source=');
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ code: 'RELAY_BAD_REQUEST', message: expect.stringContaining('source') });
  });

  it('check the bearer token before the query, so a caller without it learns nothing from validation', async () => {
    const response = await get('/deployments?limit=0', null);
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('RELAY_UNAUTHORIZED');
  });

  it('answer a /rules/test body without source 400 RELAY_BAD_REQUEST', async () => {
    const response = await app.inject({ method: 'POST', url: '/rules/test', headers: { authorization: `Bearer ${API_TOKEN}` }, payload: { body: {} } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'RELAY_BAD_REQUEST', message: expect.stringContaining('source') });
  });

  it('send answers as the routes build them: documenting a response strips nothing', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/rules/test',
      headers: { authorization: `Bearer ${API_TOKEN}` },
      payload: { source: 'github', headers: { 'x-github-event': 'push' }, body: { ref: 'refs/heads/main' } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ source: 'github', wouldAnswer: 400 });
  });
});
