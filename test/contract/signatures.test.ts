import { describe, expect, it } from 'vitest';
import { providerFor } from '../../src/sources/registry.js';
import type { AuthResult, Provider, SourceConfig } from '../../src/sources/types.js';
import { sign, type SignedRequest } from '../fakes/signers.js';
import { allFixtures, FIXTURE_NOW, requestFor } from '../support/fixtures.js';

/**
 * Every fixture is signed the way its vendor signs (test/fakes/signers.ts, written from the vendor
 * docs) and must pass its provider's `authenticate`; then each way of tampering must be refused.
 * Which checks apply is read from the signer itself, so a new provider needs no edit here: a
 * signer whose headers change with the body signs the body, one whose headers change with the
 * clock is timestamped.
 */
// Signed at the clock every fixture request is checked at (requestFor's default).
const NOW = FIXTURE_NOW;
const AN_HOUR_AGO = new Date(NOW.getTime() - 3_600_000);

/** The source with every secret-like key (secret, token, signingSecret, header value) replaced. */
function withWrongSecrets(source: SourceConfig): SourceConfig {
  return {
    ...source,
    ...(source.secret !== undefined && { secret: `${source.secret}-wrong` }),
    ...(source.token !== undefined && { token: `${source.token}-wrong` }),
    ...(source.signingSecret !== undefined && { signingSecret: `${source.signingSecret}-wrong` }),
    ...(source.header !== undefined && { header: { ...source.header, value: `${source.header.value}-wrong` } }),
  };
}

function changedByte(rawBody: Buffer): Buffer {
  const copy = Buffer.from(rawBody);
  const at = Math.floor(copy.length / 2);
  copy[at] = copy[at] === 0x41 ? 0x42 : 0x41;
  return copy;
}

function expectRefused(result: AuthResult): void {
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.reason).toMatch(/\S/);
}

const sameHeaders = (a: SignedRequest, b: SignedRequest): boolean => JSON.stringify(a.headers) === JSON.stringify(b.headers);

describe.each(allFixtures().map((fixture) => [fixture.path, fixture] as const))('%s', (_path, fixture) => {
  const provider = providerFor(fixture.source.type) as Provider;
  const rawBody = Buffer.from(JSON.stringify(fixture.body));
  const signed = sign(fixture.source, rawBody, NOW);

  it('names a registered provider', () => {
    expect(provider, `no provider for type "${fixture.source.type}"`).toBeDefined();
  });

  it('is accepted when signed the way the vendor signs', () => {
    expect(provider.authenticate(fixture.source, requestFor(fixture, { signed }))).toMatchObject({ ok: true });
  });

  it('is refused with the wrong secret', () => {
    expectRefused(provider.authenticate(withWrongSecrets(fixture.source), requestFor(fixture, { signed })));
  });

  // Each header the signer sets and the path token are the credentials; every fixture carries at
  // least one, and dropping any one of them must be refused.
  const credentials: Array<[string, SignedRequest]> = [
    ...Object.keys(signed.headers).map((name): [string, SignedRequest] => {
      const { [name]: _removed, ...rest } = signed.headers;
      return [`header ${name}`, { ...signed, headers: rest }];
    }),
    ...(signed.pathToken === undefined ? [] : [['path token', { headers: signed.headers }] as [string, SignedRequest]]),
  ];

  it('carries at least one credential (a signature or token header, or a path token)', () => {
    expect(credentials.map(([what]) => what)).not.toEqual([]);
  });

  it.each(credentials)('is refused without its %s', (_what, without) => {
    expectRefused(provider.authenticate(fixture.source, requestFor(fixture, { signed: without })));
  });

  // A shared token sent as is cannot notice a changed body; a signature over the body must.
  if (!sameHeaders(signed, sign(fixture.source, changedByte(rawBody), NOW))) {
    it('is refused when a byte of the body changed', () => {
      expectRefused(provider.authenticate(fixture.source, requestFor(fixture, { rawBody: changedByte(rawBody), signed })));
    });
  }

  const stale = sign(fixture.source, rawBody, AN_HOUR_AGO);
  if (!sameHeaders(signed, stale)) {
    it('is refused when its signature is an hour old', () => {
      expectRefused(provider.authenticate(fixture.source, requestFor(fixture, { signed: stale, now: NOW })));
    });
  }
});
