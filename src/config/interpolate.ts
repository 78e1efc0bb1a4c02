const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` in every string of an already-parsed document. Working on parsed values,
 * not on the text, means a secret containing YAML syntax cannot change the document's shape.
 */
export function interpolateEnv(value: unknown, env: Readonly<Record<string, string | undefined>>): { value: unknown; missing: string[] } {
  const missing = new Set<string>();
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      return node.replace(REFERENCE, (_whole, name: string) => {
        const found = env[name];
        if (found === undefined || found === '') {
          missing.add(name);
          return '';
        }
        return found;
      });
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child)]));
    }
    return node;
  };
  const result = walk(value);
  return { value: result, missing: [...missing] };
}
