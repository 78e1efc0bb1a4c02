/** Times as the reader's clock shows them, to the second. */
export const clock = (iso: string): string => new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/** The time between two steps, in the largest unit that keeps it short. */
export function between(fromIso: string, toIso: string): string {
  const ms = Math.max(0, Date.parse(toIso) - Date.parse(fromIso));
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** `datetime-local` values are local times without a zone; the API wants ISO-8601 with one. */
export const toIso = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

export const shortId = (id: string): string => (id.length > 16 ? `${id.slice(0, 12)}…` : id);
