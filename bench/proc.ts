import { readFile } from 'node:fs/promises';

/**
 * Share of the machine's CPU time that was busy over `ms`, from /proc/stat (Linux; NaN elsewhere).
 * Taken between scenarios, when the bench's own processes are stopped, it tells whether
 * something else is using the machine. The load average cannot: it remembers our own last minute.
 */
export async function machineBusy(ms = 1_000): Promise<number> {
  const read = async () => {
    const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  try {
    const before = await read();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const after = await read();
    return 1 - (after.idle - before.idle) / Math.max(1, after.total - before.total);
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process in bytes, read from /proc (Linux); NaN where unavailable. */
export async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time (user + system) a process and its waited-for children have used, in ms, read from
 * /proc (Linux, 100 ticks/s); NaN elsewhere. Children count: the peer forks a command per hook.
 */
export async function cpuMsOf(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU µs each process spent per unit of work (a webhook, a poll) between start() and stop(). */
export function cpuMeter(pids: Record<string, number>) {
  const read = async () => Object.fromEntries(await Promise.all(Object.entries(pids).map(async ([name, pid]) => [name, await cpuMsOf(pid)] as const)));
  let before: Record<string, number> = {};
  let bench = process.cpuUsage();
  return {
    async start() {
      before = await read();
      bench = process.cpuUsage();
    },
    async stop(units: number): Promise<Record<string, number>> {
      const after = await read();
      const own = process.cpuUsage(bench);
      const perUnit = Object.fromEntries(Object.entries(after).map(([name, ms]) => [name, Math.round(((ms - (before[name] ?? Number.NaN)) * 1000) / units)]));
      return { ...perUnit, bench: Math.round((own.user + own.system) / units) };
    },
  };
}

export interface Sampler {
  stop(): { peak: number; last: number; samples: number };
}

/** Samples a value every `everyMs` and keeps its peak; used for RSS and Redis memory. */
export function sample(read: () => Promise<number>, everyMs = 500): Sampler {
  let peak = Number.NaN;
  let last = Number.NaN;
  let samples = 0;
  const take = () =>
    void read().then((value) => {
      if (!Number.isFinite(value)) return;
      last = value;
      samples += 1;
      peak = Number.isFinite(peak) ? Math.max(peak, value) : value;
    });
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peak, last, samples };
    },
  };
}
