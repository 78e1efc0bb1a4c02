import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
// Whatever way the bench ends (an error, Ctrl-C, a closed pipe), no process or directory it made outlives it.
process.once('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Kills `child` when the bench exits, if it is still running then. */
export function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Stops, closes or deletes what a scenario started, last first, even when a later start failed. */
export function scope() {
  const steps: Array<() => Promise<unknown>> = [];
  return {
    defer<T>(value: T, undo: (value: T) => Promise<unknown>): T {
      steps.push(() => undo(value));
      return value;
    },
    async close(): Promise<void> {
      for (const step of steps.reverse()) await step().catch(() => undefined);
    },
  };
}

/** A temporary directory, removed by `remove()` or when the bench exits. */
export async function makeTempDir(name: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `deploy-relay-bench-${name}-`));
  tempDirs.add(dir);
  return {
    dir,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}
