/** Qovery errors arrive as `{status, detail}`, but a proxy in between may send nothing or HTML. */
export function describeErrorBody(status: number, contentType: string | null, text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return `HTTP ${status} with an empty body`;
  if (contentType?.includes('json') || trimmed.startsWith('{')) {
    try {
      const body = JSON.parse(trimmed) as { detail?: unknown; message?: unknown; error?: unknown };
      const detail = body.detail ?? body.message ?? body.error;
      if (typeof detail === 'string' && detail) return detail;
    } catch {
      // Not JSON after all: fall through to the text summary.
    }
  }
  if (contentType?.includes('html') || /^<(!doctype|html)/i.test(trimmed)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim();
    return `HTTP ${status} with an HTML page${title ? ` titled "${title}"` : ''}`;
  }
  return `HTTP ${status}: ${trimmed.slice(0, 200)}`;
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
