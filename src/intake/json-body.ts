import { isUtf8 } from 'node:buffer';

/** Deeper than any webhook a provider sends; deeper nesting is refused before anything recurses over it. */
export const MAX_JSON_DEPTH = 64;

export type JsonBody =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: 'RELAY_BODY_NOT_JSON' | 'RELAY_INVALID_ENCODING'; readonly reason: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]);
const CLOSE = new Set([0x5d, 0x7d]);

/**
 * One pass over the bytes: the deepest nesting outside strings, and whether a string holds a
 * `\uD800`-`\uDFFF` escape (the only way JSON text can carry a lone surrogate). Scanning bytes is
 * cheaper than walking the parsed value, and it runs before JSON.parse so depth never recurses.
 */
function scan(raw: Buffer): { depth: number; surrogateEscape: boolean } {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let surrogateEscape = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (inString) {
      if (byte === BACKSLASH) {
        const hexStart = raw[i + 1] === 0x75 ? raw[i + 2] : undefined;
        if ((hexStart === 0x64 || hexStart === 0x44) && /[89a-fA-F]/.test(String.fromCharCode(raw[i + 3] ?? 0))) surrogateEscape = true;
        i += 1;
      } else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (OPEN.has(byte)) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (CLOSE.has(byte)) depth -= 1;
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
