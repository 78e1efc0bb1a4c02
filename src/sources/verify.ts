import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AuthResult, WebhookRequest } from './types.js';

export const AUTH_OK: AuthResult = { ok: true };

export function refuse(reason: string): AuthResult {
  return { ok: false, reason };
}

/** First value of a header; Node lower-cases names, so callers pass lower-case names. */
export function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function hmac(algorithm: 'sha1' | 'sha256', key: string | Buffer, data: Buffer | string): Buffer {
  return createHmac(algorithm, key).update(data).digest();
}

/**
 * Constant-time comparison of two secrets of any length: both sides are hashed first so the
 * comparison runs on equal-length digests and leaks neither content nor length.
 */
export function secretsEqual(received: string | Buffer, expected: string | Buffer): boolean {
  const a = createHash('sha256').update(received).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Compares a received hex digest with the expected bytes without parsing attacker input loosely. */
export function hexDigestEquals(receivedHex: string, expected: Buffer): boolean {
  if (!/^[0-9a-fA-F]+$/.test(receivedHex) || receivedHex.length !== expected.length * 2) return false;
  return timingSafeEqual(Buffer.from(receivedHex, 'hex'), expected);
}

/**
 * Checks `<prefix><hex>` signatures such as GitHub's `sha256=<hex>` against an HMAC of the
 * exact raw body.
 */
export function verifyPrefixedHexHmac(
  request: WebhookRequest,
  options: { header: string; prefix: string; algorithm: 'sha1' | 'sha256'; secret: string },
): AuthResult {
  const received = header(request, options.header);
  if (!received) return refuse(`missing ${options.header} header`);
  if (!received.startsWith(options.prefix)) return refuse(`${options.header} must start with "${options.prefix}"`);
  const expected = hmac(options.algorithm, options.secret, request.rawBody);
  return hexDigestEquals(received.slice(options.prefix.length), expected)
    ? AUTH_OK
    : refuse(`${options.header} does not match the body signed with the configured secret`);
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
