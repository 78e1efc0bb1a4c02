import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, readJsonBody } from '../../../src/intake/json-body.js';

const depthOf = (value: unknown): number =>
  Array.isArray(value)
    ? 1 + Math.max(0, ...value.map(depthOf))
    : value !== null && typeof value === 'object'
      ? 1 + Math.max(0, ...Object.values(value).map(depthOf))
      : 0;
const LONE = /[\uD800-\uDFFF]/u;
const hasLoneSurrogate = (value: unknown): boolean =>
  typeof value === 'string'
    ? LONE.test(value)
    : Array.isArray(value)
      ? value.some(hasLoneSurrogate)
      : value !== null && typeof value === 'object' && Object.entries(value).some(([k, v]) => LONE.test(k) || hasLoneSurrogate(v));

describe('readJsonBody', () => {
  it('reads any JSON as JSON.parse does, and refuses exactly what nests too deep or holds a lone surrogate', () => {
    fc.assert(
      fc.property(
        fc.record({
          inner: fc.jsonValue({ maxDepth: 4 }),
          wrap: fc.integer({ min: 0, max: 90 }),
          lone: fc.option(fc.constantFrom('\ud800', 'x\udbff', '\udc00y')),
          inKey: fc.boolean(),
        }),
        ({ inner, wrap, lone, inKey }) => {
          let value: unknown = lone === null ? { inner } : inKey ? { inner, [lone]: 1 } : { inner, s: lone };
          for (let i = 0; i < wrap; i++) value = i % 2 === 0 ? [value] : { k: value };
          const text = JSON.stringify(value);
          const read = readJsonBody(Buffer.from(text));
          if (depthOf(value) > MAX_JSON_DEPTH) expect(read).toMatchObject({ ok: false, code: 'RELAY_BODY_NOT_JSON' });
          else if (hasLoneSurrogate(value)) expect(read).toMatchObject({ ok: false, code: 'RELAY_INVALID_ENCODING' });
          else expect(read).toEqual({ ok: true, value: JSON.parse(text) });
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('tells escaped quotes and backslashes from the end of a string', () => {
    expect(readJsonBody(Buffer.from('{"a":"x\\\\","b":"[[[\\"{{"}'))).toEqual({ ok: true, value: { a: 'x\\', b: '[[["{{' } });
    expect(readJsonBody(Buffer.from(`{"a":"${'['.repeat(100)}"}`))).toMatchObject({ ok: true });
    expect(readJsonBody(Buffer.from(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`))).toMatchObject({ ok: true });
    expect(readJsonBody(Buffer.from(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`))).toMatchObject({
      ok: false,
      code: 'RELAY_BODY_NOT_JSON',
    });
  });

  it('refuses lone surrogates, keys included, and keeps escaped pairs and a literal \\\\ud800', () => {
    expect(readJsonBody(Buffer.from('{"t":"\\ud800"}'))).toMatchObject({ ok: false, code: 'RELAY_INVALID_ENCODING' });
    expect(readJsonBody(Buffer.from('{"\\udfff":1}'))).toMatchObject({ ok: false, code: 'RELAY_INVALID_ENCODING' });
    expect(readJsonBody(Buffer.from('{"t":"\\ud83d\\ude80"}'))).toEqual({ ok: true, value: { t: '🚀' } });
    expect(readJsonBody(Buffer.from('{"t":"\\\\ud800"}'))).toEqual({ ok: true, value: { t: '\\ud800' } });
    expect(readJsonBody(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))).toMatchObject({ ok: false, code: 'RELAY_INVALID_ENCODING' });
  });
});
