import { useEffect, useState } from 'preact/hooks';
import type { Bus } from './bus.js';

export interface Paged<T> {
  readonly items: T[];
  readonly nextCursor?: string;
  readonly loading: boolean;
  readonly error?: string;
  more(): void;
}

/**
 * A list newest first, a page at a time, kept current by the live feed: `onLive` decides what an
 * event changes (it may fetch the item), and a `reset` reloads the first page.
 */
export function usePaged<T>(options: {
  load: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>;
  deps: readonly unknown[];
  bus: Bus;
  onLive: (event: Parameters<Parameters<Bus['subscribe']>[0]>[0], update: (change: (items: T[]) => T[]) => void) => void;
}): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    options
      .load()
      .then((page) => {
        if (cancelled) return;
        setItems(page.items);
        setNextCursor(page.nextCursor);
        setError(undefined);
      })
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [...options.deps, generation]);

  useEffect(
    () =>
      options.bus.subscribe((message) => {
        if (message.kind === 'reset') setGeneration((g) => g + 1);
        else options.onLive(message, (change) => setItems((current) => change(current)));
      }),
    [...options.deps],
  );

  return {
    items,
    ...(nextCursor !== undefined && { nextCursor }),
    loading,
    ...(error !== undefined && { error }),
    more() {
      if (!nextCursor) return;
      setLoading(true);
      options
        .load(nextCursor)
        .then((page) => {
          setItems((current) => [...current, ...page.items]);
          setNextCursor(page.nextCursor);
        })
        .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
        .finally(() => setLoading(false));
    },
  };
}
