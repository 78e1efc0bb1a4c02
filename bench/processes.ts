import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { track } from './cleanup.js';
import { rssOf } from './proc.js';

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  rss(): Promise<number>;
  /** SIGTERM, then SIGKILL to this one pid if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Ready when stdout shows `line`, or when `http` answers (with a 2xx when `ok` is set). */
export type Readiness = { readonly line: string } | { readonly http: string; readonly ok?: boolean };

async function httpAnswers(url: string, ok: boolean): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(500) });
    await response.arrayBuffer();
    return !ok || response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts a measured process with exactly the environment given (plus PATH), so nothing from the
 * shell (a REDIS_URL, a LOG_LEVEL) leaks into it. Its stdout is a pipe, as under a log collector,
 * and is read and discarded; stderr is kept to explain a failed start.
 */
export async function startChild(command: string, args: string[], env: Record<string, string>, ready: Readiness, timeoutMs = 20_000): Promise<Child> {
  const child = track(spawn(command, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(error));
    child.once('exit', (code, signal) => reject(new Error(`${path.basename(args[0] ?? command)} exited (${code ?? signal}) before it was ready:\n${stderr}`)));
  });
  const isReady = new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`${path.basename(args[0] ?? command)} was not ready within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    const done = () => {
      clearTimeout(deadline);
      resolve();
    };
    if ('line' in ready) {
      let buffered = '';
      const onData = (chunk: Buffer) => {
        buffered = (buffered + chunk.toString()).slice(-8000);
        if (!buffered.includes(ready.line)) return;
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        done();
      };
      child.stdout?.on('data', onData);
    } else {
      child.stdout?.resume();
      const poll = async () => {
        while (child.exitCode === null && !(await httpAnswers(ready.http, ready.ok ?? false))) await new Promise((r) => setTimeout(r, 50));
        done();
      };
      void poll();
    }
  });
  try {
    await Promise.race([isReady, exited]);
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
  exited.catch(() => undefined);
  const pid = child.pid as number;
  return {
    process: child,
    pid,
    rss: () => rssOf(pid),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}
