import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HmacAlgorithm = 'sha1' | 'sha256';

export function hmac(algorithm: HmacAlgorithm, key: string | Buffer, data: Buffer | string): Buffer {
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
function hexDigestEquals(receivedHex: string, expected: Buffer): boolean {
  if (!/^[0-9a-fA-F]+$/.test(receivedHex) || receivedHex.length !== expected.length * 2) return false;
  return timingSafeEqual(Buffer.from(receivedHex, 'hex'), expected);
}

/** Whether `receivedHex` is the hex HMAC of `data` under `key`: how most providers sign a body. */
export function hexHmacMatches(receivedHex: string, algorithm: HmacAlgorithm, key: string | Buffer, data: Buffer | string): boolean {
  return hexDigestEquals(receivedHex, hmac(algorithm, key, data));
}
