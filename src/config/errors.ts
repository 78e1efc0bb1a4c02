import type { z } from 'zod';

/** A start-up configuration problem; `problems` lists every issue so one run shows them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly summary: string,
    readonly problems: readonly string[],
  ) {
    super(`${summary}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function formatIssues(error: z.ZodError, pathPrefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const where = [pathPrefix, path].filter(Boolean).join('.');
    return where ? `${where}: ${issue.message}` : issue.message;
  });
}
