import { createHash } from 'node:crypto';
import { hexHmacMatches, secretsEqual, type HmacAlgorithm } from '../shared/crypto.js';
import type { AuthResult, WebhookRequest } from './types.js';

export const AUTH_OK: AuthResult = { ok: true };

/** Authenticated by a signature over the content: the signature identifies that content. */
export function signedBy(signatureHex: string): AuthResult {
  return { ok: true, signature: signatureHex.toLowerCase() };
}

export function refuse(reason: string): AuthResult {
  return { ok: false, reason };
}

/** First value of a header; Node lower-cases names, so callers pass lower-case names. */
export function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks a hex HMAC signature header, bare or after a prefix such as GitHub's `sha256=`, against
 * the exact raw body (or `signed`, for senders that sign more than the body). `header` is written
 * as the vendor spells it, for the messages; it is looked up lower-case.
 */
export function verifyHexHmac(
  request: WebhookRequest,
  options: { header: string; prefix?: string; algorithm: HmacAlgorithm; secret: string; signed?: Buffer; what?: string },
): AuthResult {
  const prefix = options.prefix ?? '';
  const received = header(request, options.header.toLowerCase());
  if (!received) return refuse(`missing ${options.header} header`);
  if (!received.startsWith(prefix)) return refuse(`${options.header} must start with "${prefix}"`);
  const signature = received.slice(prefix.length);
  return hexHmacMatches(signature, options.algorithm, options.secret, options.signed ?? request.rawBody)
    ? signedBy(signature)
    : refuse(`${options.header} does not match the ${options.what ?? 'body'} signed with the configured secret`);
}

/** A stable id for providers that send none: a real retry repeats the same content, so it collides. */
export function deriveDeliveryId(sourceName: string, ...parts: ReadonlyArray<string | undefined>): string {
  const hash = createHash('sha256').update(sourceName);
  for (const part of parts) hash.update('\0').update(part ?? '');
  return `derived-${hash.digest('hex').slice(0, 32)}`;
}

/**
 * Signed timestamps bound how long a captured request can be replayed: the signing time (unix
 * seconds) must be within `toleranceSeconds` of our clock, in either direction for clock skew.
 */
export function verifyFreshTimestamp(headerName: string, value: string | undefined, now: Date, toleranceSeconds = 300): AuthResult {
  if (!value) return refuse(`missing ${headerName} header`);
  if (!/^\d{1,12}$/.test(value)) return refuse(`${headerName} must be a unix time in seconds`);
  const skew = Math.abs(now.getTime() / 1000 - Number(value));
  return skew <= toleranceSeconds
    ? AUTH_OK
    : refuse(`${headerName} is ${Math.round(skew)}s away from now (limit ${toleranceSeconds}s): stale or replayed request`);
}

/**
 * For senders that sign nothing but send a header the user configured on them (an EventBridge
 * connection, a registry's notification `headers:`): the header's value is the shared secret.
 */
export function verifyConfiguredHeader(request: WebhookRequest, expected: { readonly name: string; readonly value: string } | undefined): AuthResult {
  if (!expected) return refuse('no header {name, value} is configured for this source');
  const received = header(request, expected.name.toLowerCase());
  if (received === undefined) return refuse(`missing ${expected.name} header`);
  return secretsEqual(received, expected.value) ? AUTH_OK : refuse(`${expected.name} header does not match the configured value`);
}

/**
 * For senders that sign nothing and send no header we can choose (Docker Hub, Quay, Pub/Sub push):
 * the unguessable token in the webhook URL path is the shared secret. `usage` tells how to send it.
 */
export function verifyPathToken(request: WebhookRequest, expected: string, usage = 'use POST /webhooks/<source>/<token>'): AuthResult {
  if (!request.pathToken) return refuse(`missing token: ${usage}`);
  return secretsEqual(request.pathToken, expected) ? AUTH_OK : refuse('the token in the path is wrong');
}
