import { drainCalls, type FakeQovery } from './fake.js';
import { percentile } from './stats.js';

/**
 * Follows the fake's calls for many jobs. A poll's lateness is how much later than `pollMs` after
 * the previous call for the same job (its deploy or its previous poll) it reached the fake.
 */
export function createPollTracker(fake: FakeQovery, pollMs: number) {
  const lastContact = new Map<string, number>();
  const lateness: number[] = [];
  let deployCalls = 0;
  let polls = 0;
  let window: { from: number; to: number } | undefined;

  const harvest = () => {
    for (const call of drainCalls(fake)) {
      if (call.kind === 'deploy') deployCalls += 1;
      const previous = lastContact.get(call.jobId);
      lastContact.set(call.jobId, call.at);
      if (call.kind !== 'status' || !window || call.at < window.from || call.at > window.to) continue;
      polls += 1;
      if (previous !== undefined) lateness.push(call.at - previous - pollMs);
    }
  };
  const timer = setInterval(harvest, 250);

  return {
    harvest,
    get deployCalls() {
      return deployCalls;
    },
    get polls() {
      return polls;
    },
    /** Polls that reach the fake from now for `ms` are measured. */
    open(ms: number) {
      window = { from: Date.now(), to: Date.now() + ms };
    },
    /** Lateness percentiles. A job still waiting for its poll at the window's end counts with the lateness it has reached, so a worker that falls behind is not flattered. */
    close() {
      clearInterval(timer);
      harvest();
      const end = window?.to ?? Date.now();
      for (const last of lastContact.values()) if (end - last - pollMs > 0) lateness.push(end - last - pollMs);
      return { p50: percentile(lateness, 50), p90: percentile(lateness, 90), p99: percentile(lateness, 99), max: percentile(lateness, 100) };
    },
    stop() {
      clearInterval(timer);
    },
  };
}
