import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { providerFor } from '../../src/sources/registry.js';
import type { ParseResult, SourceConfig, WebhookRequest } from '../../src/sources/types.js';
import type { SignedRequest } from '../fakes/signers.js';

/**
 * The captured deliveries in test/fixtures/<provider type>/*.json: the source they are sent to, the
 * headers and body as the vendor sends them, and what parsing them must give.
 */
export interface Fixture<Body = Record<string, unknown>> {
  /** The file name, e.g. `push-branch.json`. */
  readonly name: string;
  /** Relative to test/fixtures, e.g. `github/push-branch.json`. */
  readonly path: string;
  description: string;
  source: SourceConfig;
  headers: Record<string, string>;
  body: Body;
  expect: { kind: string; events?: object[]; reason?: string };
}

/** What a request or a parse needs of a fixture, so a test may pass a varied copy. */
type Delivery = Pick<Fixture<unknown>, 'source' | 'headers' | 'body'>;

const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The clock of a fixture's request unless a test sets its own. */
export const FIXTURE_NOW = new Date('2026-11-20T10:00:00Z');

function read(type: string, name: string): Fixture<unknown> {
  const path = `${type}/${name}`;
  return { name, path, ...(JSON.parse(readFileSync(FIXTURES_DIR + path, 'utf8')) as Omit<Fixture<unknown>, 'name' | 'path'>) };
}

function fixtureNames(type: string): string[] {
  return readdirSync(FIXTURES_DIR + type)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

/** Every fixture of one provider type, freshly read: a test may change what it gets. */
export function loadFixtures<F extends Fixture<unknown> = Fixture>(type: string): F[] {
  return fixtureNames(type).map((name) => read(type, name) as F);
}

/** One fixture, freshly read: a test may change it without touching another test's copy. */
export function loadFixture<F extends Fixture<unknown> = Fixture>(type: string, name: string): F {
  if (!fixtureNames(type).includes(name)) throw new Error(`no fixture ${type}/${name}`);
  return read(type, name) as F;
}

/** The fixtures of every provider type. */
export function allFixtures(): Fixture[] {
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .flatMap((type) => loadFixtures(type));
}

export interface RequestOptions {
  /** Sent instead of the fixture's body; serialized as JSON unless `rawBody` is given. */
  readonly body?: unknown;
  /** The exact bytes, for tests that change them after signing. */
  readonly rawBody?: Buffer;
  /** Sent instead of the fixture's headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** What a signer (test/fakes/signers.ts) adds: its headers over the others, and the path token. */
  readonly signed?: SignedRequest;
  readonly now?: Date;
}

/** The request a fixture's delivery arrives as, with whatever a test varies. */
export function requestFor(fixture: Pick<Delivery, 'headers' | 'body'>, options: RequestOptions = {}): WebhookRequest {
  const body = options.body === undefined ? fixture.body : options.body;
  const { signed } = options;
  return {
    headers: { ...(options.headers ?? fixture.headers), ...signed?.headers },
    rawBody: options.rawBody ?? Buffer.from(JSON.stringify(body)),
    ...(signed?.pathToken !== undefined && { pathToken: signed.pathToken }),
    now: options.now ?? FIXTURE_NOW,
  };
}

/** Parses `body` (the fixture's own by default) through the provider the fixture's source names. */
export function parseFixture(
  fixture: Delivery,
  body: unknown = fixture.body,
  options: Omit<RequestOptions, 'body'> & { readonly source?: SourceConfig } = {},
): ParseResult {
  const source = options.source ?? fixture.source;
  const provider = providerFor(source.type);
  if (!provider) throw new Error(`no provider for type "${source.type}"`);
  return provider.parse(source, requestFor(fixture, { ...options, body }), body);
}

/** The table check: the parse gives the kind the fixture expects, its events, or its reason. */
export function expectFixtureOutcome(result: ParseResult, expected: Fixture<unknown>['expect']): void {
  expect(result.kind).toBe(expected.kind);
  if (result.kind === 'events') expect(result.events).toMatchObject(expected.events ?? []);
  if (result.kind === 'ignored' || result.kind === 'invalid') expect(result.reason).toContain(expected.reason);
}

/** The delivery id of any result that has one. */
export function deliveryIdOf(result: ParseResult): string | undefined {
  return result.kind === 'invalid' ? undefined : result.deliveryId;
}

/** The delivery id of a result that deploys, so a check on it fails too when nothing would deploy. */
export function eventsDeliveryIdOf(result: ParseResult): string | undefined {
  return result.kind === 'events' ? result.deliveryId : undefined;
}
