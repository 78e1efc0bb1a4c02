import type { z } from 'zod';

/** One readable sentence naming the first few fields a payload lacks, for a 400 a user can act on. */
export function describeIssues(what: string, error: z.ZodError): string {
  const first = error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
  return `${what} payload is missing what the provider always sends (${first.join('; ')})`;
}
