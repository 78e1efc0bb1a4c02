import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROVIDER_TYPES, providerFor } from '../../../src/sources/registry.js';

/** The README's Sources table, one row per provider: type -> the "keys (required / optional)" cell. */
function readmeSourceRows(): Map<string, string> {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const lines = readme.split('\n');
  const header = lines.findIndex((line) => line.startsWith('| type |') && line.includes('keys (required / optional)'));
  if (header === -1) throw new Error('README.md has no Sources table with a "keys (required / optional)" column');
  const columns = (line: string) => line.split(' | ').map((cell) => cell.replace(/^\|\s*|\s*\|$/g, '').trim());
  const keysColumn = columns(lines[header]!).indexOf('keys (required / optional)');
  const rows = new Map<string, string>();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = columns(line);
    rows.set((cells[0] ?? '').replace(/`/g, ''), cells[keysColumn] ?? '');
  }
  return rows;
}

// Parenthesised notes may name other things in backticks; only the keys before them count.
const keysIn = (text: string): string[] => [...text.replace(/\([^)]*\)/g, '').matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]!).sort();

describe('the README Sources table', () => {
  const rows = readmeSourceRows();

  it('has one row per provider type and none for a type that does not exist', () => {
    expect([...rows.keys()].sort()).toEqual([...PROVIDER_TYPES].sort());
  });

  it.each([...PROVIDER_TYPES])('names the required and optional keys of %s as its provider declares them', (type) => {
    const provider = providerFor(type)!;
    const [required = '', optional = ''] = (rows.get(type) ?? '').split(' / ');
    expect(keysIn(required)).toEqual([...provider.requiredKeys].sort());
    expect(keysIn(optional)).toEqual([...(provider.optionalKeys ?? [])].sort());
  });
});
