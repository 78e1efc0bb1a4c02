import { SECRET_KEY_PATHS } from '../sources/types.js';
import type { Reference } from './interpolate.js';

/**
 * The example files ship credentials containing this mark, so a relay started from copied
 * examples is recognisable: fine for a dry run, refused in live mode, where anyone who read the
 * examples could sign a webhook.
 */
export const PLACEHOLDER_MARK = 'change-me';

export function isPlaceholder(value: string): boolean {
  return value.toLowerCase().includes(PLACEHOLDER_MARK);
}

/** A credential of a source in the rules document, read before the schema checks the document. */
export interface RawCredential {
  readonly sourceIndex: number;
  readonly sourceName: string;
  /** The key as the README names it: `secret`, `token`, `signingSecret` or `header.value`. */
  readonly key: string;
  readonly path: readonly (string | number)[];
  readonly value: string;
  /** Variables referenced in the value, with whether they were set. */
  readonly references: readonly Reference[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const samePath = (a: readonly (string | number)[], b: readonly (string | number)[]) => a.length === b.length && a.every((part, i) => part === b[i]);

/** Every credential of every source, wherever the document is well-formed enough to find them. */
export function credentialsOf(doc: unknown, references: readonly Reference[]): RawCredential[] {
  const sources = isRecord(doc) && Array.isArray(doc.sources) ? doc.sources : [];
  return sources.flatMap((source: unknown, sourceIndex) => {
    if (!isRecord(source)) return [];
    const sourceName = typeof source.name === 'string' ? source.name : `#${sourceIndex + 1}`;
    return SECRET_KEY_PATHS.flatMap((key) => {
      const keyPath = key.split('.');
      const value = keyPath.reduce<unknown>((node, part) => (isRecord(node) ? node[part] : undefined), source);
      if (typeof value !== 'string') return [];
      const path = ['sources', sourceIndex, ...keyPath];
      return [{ sourceIndex, sourceName, key, path, value, references: references.filter((r) => samePath(r.path, path)) }];
    });
  });
}

/** Empty, or built from a variable that is set to an empty value (`Bearer ${EMPTY}` counts). */
export function isEmptyCredential(credential: RawCredential): boolean {
  return credential.value.trim() === '' || credential.references.some((r) => r.state === 'empty');
}

/** Why a credential is empty, in words a user can act on. */
export function describeEmpty(credential: RawCredential): string {
  const empty = credential.references.filter((r) => r.state === 'empty').map((r) => `\${${r.name}}`);
  return empty.length > 0 ? `${empty.join(', ')} ${empty.length > 1 ? 'are' : 'is'} set to an empty value` : 'the value is empty';
}

/**
 * The document without the named sources, and without routes that used only those; a route that
 * also uses a kept source keeps it. Returns warnings naming each route changed or left out.
 */
export function withoutSources(doc: Record<string, unknown>, names: ReadonlySet<string>): { doc: Record<string, unknown>; warnings: string[] } {
  const warnings: string[] = [];
  const sources = Array.isArray(doc.sources)
    ? doc.sources.filter((s: unknown) => !(isRecord(s) && typeof s.name === 'string' && names.has(s.name)))
    : doc.sources;
  const routes = Array.isArray(doc.routes)
    ? doc.routes.flatMap((route: unknown) => {
        if (!isRecord(route)) return [route];
        const listed = typeof route.source === 'string' ? [route.source] : Array.isArray(route.source) ? route.source : undefined;
        if (!listed || !listed.every((s): s is string => typeof s === 'string')) return [route];
        const kept = listed.filter((s) => !names.has(s));
        const gone = listed.filter((s) => names.has(s));
        if (gone.length === 0) return [route];
        const name = typeof route.name === 'string' ? route.name : '(unnamed)';
        if (kept.length === 0) {
          warnings.push(`route ${name} is left out: it uses only left-out sources (${gone.join(', ')})`);
          return [];
        }
        warnings.push(`route ${name} keeps sources ${kept.join(', ')} without ${gone.join(', ')}, which are left out`);
        return [{ ...route, source: typeof route.source === 'string' ? kept[0] : kept }];
      })
    : doc.routes;
  return { doc: { ...doc, sources, ...(doc.routes !== undefined && { routes }) }, warnings };
}
