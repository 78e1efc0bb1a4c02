import { isUtf8 } from 'node:buffer';

/** Deeper than any webhook a provider sends; deeper nesting is refused before anything recurses over it. */
export const MAX_JSON_DEPTH = 64;

export type JsonBody =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: 'RELAY_BODY_NOT_JSON' | 'RELAY_INVALID_ENCODING'; readonly reason: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** Whether the escape at `at` (a backslash) is `\uD800`-`\uDFFF`: the only way JSON text carries a lone surrogate. */
function isSurrogateEscape(raw: Buffer, at: number): boolean {
  if (raw[at + 1] !== 0x75) return false;
  const first = raw[at + 2];
  const second = raw[at + 3] ?? 0;
  return (first === 0x64 || first === 0x44) && ((second >= 0x38 && second <= 0x39) || (second >= 0x61 && second <= 0x66) || (second >= 0x41 && second <= 0x46));
}

/**
 * One pass over the bytes, before JSON.parse so deep nesting never recurses: the deepest nesting
 * outside strings, and whether a string holds a surrogate escape. Strings are skipped with native
 * searches for the closing quote, so the cost is in the structure, not the text.
 */
function scan(raw: Buffer): { depth: number; surrogateEscape: boolean } {
  let depth = 0;
  let deepest = 0;
  let surrogateEscape = false;
  // Where the next backslash is, searched again only once it is behind: a body without escapes costs one search.
  let escape = raw.indexOf(BACKSLASH);
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === QUOTE) {
      // Jump to the closing quote, stepping over escapes.
      for (;;) {
        const quote = raw.indexOf(QUOTE, i + 1);
        if (quote === -1) return { depth: deepest, surrogateEscape };
        if (escape !== -1 && escape <= i) escape = raw.indexOf(BACKSLASH, i + 1);
        if (escape === -1 || escape > quote) {
          i = quote;
          break;
        }
        if (isSurrogateEscape(raw, escape)) surrogateEscape = true;
        i = escape + 1;
        escape = raw.indexOf(BACKSLASH, i + 1);
      }
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth -= 1;
  }
  return { depth: deepest, surrogateEscape };
}

/** With the `u` flag a surrogate pair is one code point, so this matches only an unpaired surrogate. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Whether every string in the value, keys included, is well-formed UTF-16 (no lone surrogate). */
function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every(wellFormed);
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([key, child]) => !LONE_SURROGATE.test(key) && wellFormed(child));
  return true;
}

/**
 * Reads a webhook body as JSON, refusing what could not be stored and read back as sent: bytes
 * that are not UTF-8 (Node would replace them silently), lone surrogates (Redis and every JSON
 * reader downstream would choke on or alter them), and nesting deeper than MAX_JSON_DEPTH.
 */
export function readJsonBody(raw: Buffer): JsonBody {
  if (!isUtf8(raw)) return { ok: false, code: 'RELAY_INVALID_ENCODING', reason: 'the body is not valid UTF-8' };
  const { depth, surrogateEscape } = scan(raw);
  if (depth > MAX_JSON_DEPTH) return { ok: false, code: 'RELAY_BODY_NOT_JSON', reason: `the body nests deeper than ${MAX_JSON_DEPTH} levels` };
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    return { ok: false, code: 'RELAY_BODY_NOT_JSON', reason: `the body is not valid JSON (${(error as Error).message})` };
  }
  if (surrogateEscape && !wellFormed(value)) {
    return { ok: false, code: 'RELAY_INVALID_ENCODING', reason: 'the body holds a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape)' };
  }
  return { ok: true, value };
}
