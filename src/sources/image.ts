/**
 * Image names are compared in one canonical form: lower-case, registry host included, Docker Hub
 * as `docker.io/` with its implicit `library/` namespace. A route's `image:` pattern is put in the
 * same form, so users may write it with or without the host.
 */
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

function looksLikeHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost';
}

export function normalizeImage(name: string, defaultHost = 'docker.io'): string {
  let value = name
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '');
  value = value.replace(/@sha256:[0-9a-f]+$/, '');
  const slash = value.indexOf('/');
  const first = slash === -1 ? '' : value.slice(0, slash);
  let host: string;
  let path: string;
  if (first && looksLikeHost(first)) {
    host = first;
    path = value.slice(slash + 1);
  } else {
    host = defaultHost.toLowerCase();
    path = value;
  }
  if (DOCKER_HUB_HOSTS.has(host)) {
    host = 'docker.io';
    if (!path.includes('/')) path = `library/${path}`;
  }
  return `${host}/${path}`;
}

/** Splits `host/repo:tag` into name and tag; a `:` inside the host (a port) is not a tag. */
export function splitImageReference(reference: string): { name: string; tag?: string } {
  const withoutDigest = reference.replace(/@sha256:[0-9a-fA-F]+$/, '');
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  if (colon === -1) return { name: withoutDigest };
  return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
}
