const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** One `${NAME}` found in the document: where, and whether the variable was unset or empty. */
export interface Reference {
  readonly name: string;
  readonly path: readonly (string | number)[];
  readonly state: 'set' | 'unset' | 'empty';
}

/**
 * Replaces `${NAME}` in every string of an already-parsed document. Working on parsed values,
 * not on the text, means a secret containing YAML syntax cannot change the document's shape.
 * Unset and empty variables become '' and are listed with their path, so the caller decides what
 * each means where it occurs (an empty secret leaves a source out, an unset variable is an error).
 */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
): { value: unknown; missing: string[]; references: readonly Reference[] } {
  const references: Reference[] = [];
  const walk = (node: unknown, path: readonly (string | number)[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(REFERENCE, (_whole, name: string) => {
        const found = env[name];
        references.push({ name, path, state: found === undefined ? 'unset' : found === '' ? 'empty' : 'set' });
        return found ?? '';
      });
    }
    if (Array.isArray(node)) return node.map((child, i) => walk(child, [...path, i]));
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child, [...path, key])]));
    }
    return node;
  };
  const result = walk(value, []);
  const missing = [...new Set(references.filter((r) => r.state === 'unset').map((r) => r.name))];
  return { value: result, missing, references };
}
