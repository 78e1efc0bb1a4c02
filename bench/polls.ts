import { drainCalls, type FakeQovery } from './fake.js';
import { percentile } from './stats.js';

/**
 * Follows the fake's calls while many deployments are followed. Following reads one environment's
 * statuses per interval, so a read's lateness is how much later than `pollMs` after the previous
 * read of the same environment it reached the fake.
 */
export function createPollTracker(fake: FakeQovery, pollMs: number) {
  const lastRead = new Map<string, number>();
  const lateness: number[] = [];
  let deployCalls = 0;
  let lookups = 0;
  let ownStatusReads = 0;
  let polls = 0;
  let covered = 0;
  let window: { from: number; to: number } | undefined;

  const harvest = () => {
    for (const call of drainCalls(fake)) {
      if (call.kind === 'deploy') deployCalls += 1;
      if (call.kind === 'lookup') lookups += 1;
      if (call.kind === 'status') ownStatusReads += 1;
      if (call.kind !== 'statuses') continue;
      const previous = lastRead.get(call.id);
      lastRead.set(call.id, call.at);
      if (!window || call.at < window.from || call.at > window.to) continue;
      polls += 1;
      covered += call.listed ?? 0;
      if (previous !== undefined) lateness.push(call.at - previous - pollMs);
    }
  };
  const timer = setInterval(harvest, 250);

  return {
    harvest,
    get deployCalls() {
      return deployCalls;
    },
    /** Environment statuses reads in the window. */
    get polls() {
      return polls;
    },
    /** Services those reads listed. */
    get covered() {
      return covered;
    },
    get lookups() {
      return lookups;
    },
    /** Reads of one service's own status endpoint (the fallback), over the whole run. */
    get ownStatusReads() {
      return ownStatusReads;
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
      for (const last of lastRead.values()) if (end - last - pollMs > 0) lateness.push(end - last - pollMs);
      return { p50: percentile(lateness, 50), p90: percentile(lateness, 90), p99: percentile(lateness, 99), max: percentile(lateness, 100) };
    },
    stop() {
      clearInterval(timer);
    },
  };
}
