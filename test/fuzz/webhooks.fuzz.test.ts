import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceConfig } from '../../src/sources/types.js';
import { sign } from '../fakes/signers.js';
import { allFixtures, type Fixture } from '../support/fixtures.js';
import { startTestRelay, type TestRelay } from '../support/relay.js';

/**
 * Hostile webhooks over every source type, generated from the vendor fixtures: fields the parsers
 * read given wrong types, huge, empty and deeply nested values, lone surrogates, NUL, bad UTF-8,
 * duplicate keys, and wrong or missing credentials. Most are signed correctly, so they get past
 * authentication into parsing, routing and storage. Whatever comes in, the relay never answers
 * 5xx, every 4xx carries a stable code, and every 2xx left a readable delivery whose deployments
 * all exist.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const fixtures = allFixtures();
const sourceName = (i: number) => `s${i}`;
const jobIdFor = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const GIT_TYPES = new Set(['github', 'gitlab', 'bitbucket', 'gitea']);

/** One source per fixture and a route that matches anything it sends, so accepted input reaches storage. */
function rulesFor(list: readonly Fixture[]): string {
  const sources = list.map((f, i) => ({ ...f.source, name: sourceName(i) }));
  const routes = list.map((f, i) => ({
    name: `r${i}`,
    source: sourceName(i),
    target: { jobId: jobIdFor(i % 7) },
    deploy: GIT_TYPES.has(f.source.type) ? 'commit' : 'tag',
  }));
  return JSON.stringify({ sources, routes });
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value in the fixture's body: the fields its provider reads are among them. */
function pathsOf(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((child, i) => pathsOf(child, [...prefix, i]))];
  if (value !== null && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([k, child]) => pathsOf(child, [...prefix, k]))];
  return [prefix];
}

function setAt(body: unknown, path: ReadonlyArray<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(body) ? [...body] : { ...(body as object) };
  copy[head as string] = setAt(copy[head as string], rest, replacement);
  return copy;
}

const nested = (depth: number): Json => (depth === 0 ? 'bottom' : { d: nested(depth - 1) });

/** Values that break parsers: wrong types, extremes of size, encodings JSON allows but stores badly. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, 1.5, '', ' ', 'null', '0'.repeat(40), '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '../../etc', '%00', '{}'),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer().map((n) => 'x'.repeat(Math.abs(n) % 20_000)),
  fc.integer({ min: 1, max: 200 }).map(nested),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.json().map((text) => JSON.parse(text) as unknown),
);

/** How the bytes sent differ from plain JSON of the mutated body. */
const rawVariant = fc.constantFrom('json', 'bad-utf8', 'duplicate-key', 'truncated', 'lone-surrogate-escape', 'deep-array');

function rawBody(body: unknown, variant: string): Buffer {
  const text = JSON.stringify(body) ?? 'null';
  switch (variant) {
    case 'bad-utf8':
      return Buffer.concat([Buffer.from(text.slice(0, 5)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(text.slice(5))]);
    case 'duplicate-key':
      return Buffer.from(text.startsWith('{') && text.length > 2 ? `{"ref":1,${text.slice(1)}` : text);
    case 'truncated':
      return Buffer.from(text.slice(0, Math.floor(text.length / 2)));
    case 'lone-surrogate-escape':
      return Buffer.from(text.replace(/"([^"\\]{1,10})"/, '"$1\\ud800"'));
    case 'deep-array':
      return Buffer.from(`${'['.repeat(5_000)}${']'.repeat(5_000)}`);
    default:
      return Buffer.from(text);
  }
}

/** Credentials: signed as the vendor signs, or with each way of getting them wrong. */
const authVariant = fc.constantFrom('signed', 'signed', 'signed', 'signed', 'unsigned', 'wrong-secret', 'junk-headers');

function credentials(source: SourceConfig, raw: Buffer, variant: string): { headers: Record<string, string>; pathToken?: string } {
  if (variant === 'unsigned') return { headers: {} };
  if (variant === 'junk-headers') {
    const signed = sign(source, raw);
    return {
      headers: Object.fromEntries(Object.keys(signed.headers).map((k) => [k, 'sha256=zz\u00ff'])),
      ...(signed.pathToken !== undefined && { pathToken: 'wrong' }),
    };
  }
  if (variant === 'wrong-secret') {
    const wrong = { ...source, secret: `${source.secret}x`, token: `${source.token}x`, ...(source.header && { header: { ...source.header, value: 'wrong' } }) };
    return sign(wrong as SourceConfig, raw);
  }
  return sign(source, raw);
}

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay(rulesFor(fixtures), { RELAY_ROLE: 'api', RATE_LIMIT_MAX: 10_000_000 });
});
afterAll(async () => relay?.close());

describe('fuzzing every source type through the HTTP surface', () => {
  const counts = { requests: 0, byStatus: {} as Record<number, number> };

  it(`${RUNS} hostile requests: no 5xx, stable codes on 4xx, nothing half-written behind a 2xx`, async () => {
    const app = relay.relay.app!;
    const request = fc.record({
      fixture: fc.integer({ min: 0, max: fixtures.length - 1 }),
      mutations: fc.array(fc.tuple(fc.nat(), hostileValue), { maxLength: 3 }),
      raw: rawVariant,
      auth: authVariant,
      salt: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ fixture: index, mutations, raw: variant, auth, salt }) => {
        const fixture = fixtures[index]!;
        const source = { ...fixture.source, name: sourceName(index) } as SourceConfig;
        const paths = pathsOf(fixture.body);
        let body: unknown = fixture.body;
        for (const [at, value] of mutations) body = setAt(body, paths[at % paths.length]!, value);
        const bytes = rawBody(body, variant === 'json' && mutations.length === 0 ? 'json' : variant);
        const { headers, pathToken } = credentials(source, bytes, auth);
        // A fresh delivery id for providers that read one from a header, so most requests are new.
        const fixtureHeaders = Object.fromEntries(
          Object.entries(fixture.headers ?? {}).map(([k, v]) => [k, /deliver|uuid|idempotency|request-id/i.test(k) ? `${v}-${salt}` : v]),
        );
        const response = await app.inject({
          method: 'POST',
          url: `/webhooks/${source.name}${pathToken !== undefined ? `/${encodeURIComponent(pathToken)}` : ''}`,
          headers: { ...fixtureHeaders, 'content-type': 'application/json', ...headers },
          payload: bytes,
        });
        counts.requests += 1;
        counts.byStatus[response.statusCode] = (counts.byStatus[response.statusCode] ?? 0) + 1;
        expect(response.statusCode, response.body.slice(0, 300)).toBeLessThan(500);
        const answer = response.json();
        if (response.statusCode >= 400) {
          expect(answer.code, response.body.slice(0, 300)).toMatch(/^RELAY_[A-Z_]+$/);
          return;
        }
        const delivery = await app.inject({
          method: 'GET',
          url: `/deliveries/${encodeURIComponent(answer.deliveryId)}?source=${source.name}`,
          headers: { authorization: 'Bearer test-api-token-0123456789' },
        });
        expect(delivery.statusCode, `delivery ${answer.deliveryId}`).toBe(200);
        for (const deployment of answer.deployments ?? []) {
          const stored = await relay.relay.history.getDeploymentState(deployment.id);
          expect(stored, `deployment ${deployment.id}`).toBeDefined();
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261203) },
    );
    console.log(JSON.stringify({ fuzz: 'webhooks', ...counts }));
    expect(counts.requests).toBe(RUNS);
  }, 600_000);
});
