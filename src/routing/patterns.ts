import picomatch from 'picomatch';
import semver from 'semver';
import { normalizeImage } from '../sources/image.js';
import type { TagMatch } from '../config/rules.js';

export type Matcher = (value: string) => boolean;

/** Characters that give a glob a meaning beyond the text itself. */
const GLOB_SYNTAX = /[*?[\]{}()!+@\\]/;

/**
 * `/regex/` (optionally with flags) or a glob such as `release/*` or `v*`. `ignoreCase` is a
 * matcher option, not a lower-cased pattern: lower-casing a regex would turn `\S` into `\s`.
 */
export function compilePattern(pattern: string, options: { ignoreCase?: boolean } = {}): Matcher {
  const regex = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (regex) {
    // `g` and `y` make `test` resume from the last match, so one compiled matcher would alternate.
    const flags = (regex[2] ?? '').replace(/[gy]/g, '') + (options.ignoreCase ? 'i' : '');
    const compiled = new RegExp(regex[1] ?? '', [...new Set(flags)].join(''));
    return (value) => compiled.test(value);
  }
  // Most routes name a repository or branch outright; comparing text is several times cheaper
  // than picomatch's test, and every push is checked against every route of its source.
  if (!GLOB_SYNTAX.test(pattern)) {
    if (!options.ignoreCase) return (value) => value === pattern;
    const lower = pattern.toLowerCase();
    return (value) => value.toLowerCase() === lower;
  }
  return picomatch(pattern, { dot: true, nocase: options.ignoreCase === true });
}

function hasHost(pattern: string): boolean {
  const first = pattern.split('/')[0] ?? '';
  return pattern.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
}

/**
 * An image pattern written with a host compares against the full normalized name; one written
 * without a host compares against the path on any registry, and also against Docker Hub's form
 * (`nginx` is `docker.io/library/nginx`).
 */
export function compileImagePattern(pattern: string): Matcher {
  if (pattern.startsWith('/')) return compilePattern(pattern);
  if (hasHost(pattern)) {
    const full = compilePattern(normalizeImage(pattern));
    return (image) => full(image);
  }
  const bare = compilePattern(pattern.toLowerCase());
  const hub = compilePattern(normalizeImage(pattern));
  return (image) => hub(image) || bare(image.slice(image.indexOf('/') + 1));
}

/** A leading `v` is tolerated; pre-releases match only when the route asks for them. */
export function compileSemver(match: TagMatch): Matcher {
  return (tag) => {
    const version = semver.valid(tag.replace(/^v/i, ''));
    return version !== null && semver.satisfies(version, match.semver, { includePrerelease: match.includePrerelease });
  };
}
