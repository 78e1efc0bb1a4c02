import type { RelayEvent } from '../../src/events/schema.js';

export type LiveMessage = { kind: 'event'; event: RelayEvent } | { kind: 'reset' };

/** Hands the live feed to whichever views are showing. */
export function createBus() {
  const listeners = new Set<(message: LiveMessage) => void>();
  return {
    publish(message: LiveMessage): void {
      for (const listener of listeners) listener(message);
    },
    subscribe(listener: (message: LiveMessage) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export type Bus = ReturnType<typeof createBus>;
