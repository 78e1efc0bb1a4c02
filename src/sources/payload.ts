import type { z } from 'zod';

/** One readable sentence naming the first few fields a payload lacks, for a 400 a user can act on. */
export function describeIssues(what: string, error: z.ZodError): string {
  const first = error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
  return `${what} payload is missing what the provider always sends (${first.join('; ')})`;
}

/** A provider's time as ISO-8601, or nothing when it sends none or one that is not a time. */
export function isoTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A provider's Unix time in seconds as ISO-8601, or nothing when it is missing or out of range. */
export function isoFromEpochSeconds(seconds: number | undefined): string | undefined {
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The branch or tag a git ref names (`refs/heads/<branch>`, `refs/tags/<tag>`); neither for other refs. */
export function branchOrTag(ref: string): { branch?: string; tag?: string } {
  if (ref.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  return {};
}

/** The file lists GitHub, GitLab and Gitea give each commit of a push. */
export interface CommitFiles {
  readonly added?: readonly string[] | null;
  readonly modified?: readonly string[] | null;
  readonly removed?: readonly string[] | null;
}

/**
 * The files a push changed (added, modified or removed), each once, or nothing when the payload
 * cannot tell. A push listing no commit (a new tag or branch on an existing commit) says nothing
 * about files, and a list cut short (`totalCommits` above its length) could make a `paths` rule miss
 * a push that did touch its files.
 */
export function changedPaths(commits: readonly CommitFiles[] | null | undefined, totalCommits?: number): string[] | undefined {
  if (!commits?.length) return undefined;
  if (totalCommits !== undefined && totalCommits > commits.length) return undefined;
  const paths = new Set<string>();
  for (const commit of commits) {
    for (const list of [commit.added, commit.modified, commit.removed]) list?.forEach((p) => paths.add(p));
  }
  return [...paths];
}
