import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../../src/worker/backoff.js';

const POLICY = { baseMs: 1000, maxMs: 60_000 };
/** The largest value Math.random can return. */
const ALMOST_ONE = 1 - Number.EPSILON;

describe('retryDelayMs', () => {
  it('waits nothing when the random draw is zero (full jitter starts at 0)', () => {
    for (let attempt = 1; attempt <= 10; attempt++) expect(retryDelayMs(POLICY, attempt, undefined, () => 0)).toBe(0);
  });

  it('stays below base * 2^(attempt-1) for each attempt', () => {
    const ceilings = [1000, 2000, 4000, 8000, 16_000, 32_000];
    ceilings.forEach((ceiling, i) => {
      expect(retryDelayMs(POLICY, i + 1, undefined, () => ALMOST_ONE)).toBe(ceiling - 1);
      expect(retryDelayMs(POLICY, i + 1, undefined, () => 0.5)).toBe(ceiling / 2);
    });
  });

  it('caps the ceiling at maxMs once the exponential passes it', () => {
    expect(retryDelayMs(POLICY, 7, undefined, () => ALMOST_ONE)).toBe(59_999);
    expect(retryDelayMs(POLICY, 50, undefined, () => ALMOST_ONE)).toBe(59_999);
    expect(retryDelayMs(POLICY, 50, undefined, () => 0.5)).toBe(30_000);
  });

  it('treats an attempt below 1 as the first', () => {
    expect(retryDelayMs(POLICY, 0, undefined, () => ALMOST_ONE)).toBe(999);
  });

  it('uses Retry-After as a floor when the jittered delay is shorter', () => {
    expect(retryDelayMs(POLICY, 1, 5000, () => 0)).toBe(5000);
  });

  it('keeps the jittered delay when it is longer than Retry-After', () => {
    expect(retryDelayMs(POLICY, 6, 100, () => 0.5)).toBe(16_000);
  });

  it('caps Retry-After at maxMs, so a server cannot park the job for hours', () => {
    expect(retryDelayMs(POLICY, 1, 3_600_000, () => 0)).toBe(60_000);
  });

  it('honours a Retry-After of zero as no floor', () => {
    expect(retryDelayMs(POLICY, 2, 0, () => 0.25)).toBe(500);
  });

  it('draws a fresh random value per call', () => {
    const draws = [0.1, 0.9];
    const random = () => draws.shift() ?? 0;
    expect([retryDelayMs(POLICY, 3, undefined, random), retryDelayMs(POLICY, 3, undefined, random)]).toEqual([400, 3600]);
  });
});
