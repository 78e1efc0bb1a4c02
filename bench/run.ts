/**
 * `npm run bench [-- --only ingest,burst] [--cpu-prof]`: measures the relay against its targets
 * and prints one table; writes the figures to bench/results/. Exits 0 whether targets were met or
 * not (it is a measurement); exits 1 only when a scenario could not run at all.
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildChildren, ROOT } from './build.js';
import { machineSpeed } from './calibrate.js';
import { machineBusy } from './proc.js';
import { formatTable, row, writeResults, type BenchContext, type Row, type Scenario } from './report.js';
import { burst } from './scenarios/burst.js';
import { deployLatency } from './scenarios/deploy-latency.js';
import { followCalls } from './scenarios/follow-calls.js';
import { following } from './scenarios/following.js';
import { footprint } from './scenarios/footprint.js';
import { ingest } from './scenarios/ingest.js';
import { peer } from './scenarios/peer.js';
import { scale } from './scenarios/scale.js';

const SCENARIOS: readonly Scenario[] = [ingest, peer, deployLatency, burst, followCalls, following, footprint, scale];

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return 'unknown';
  }
}

function selected(only: string | undefined): Scenario[] {
  if (!only) return [...SCENARIOS];
  const names = only
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return SCENARIOS.filter((s) => names.includes(s.name));
}

// Ctrl-C or a kill ends the run; the exit hook in cleanup.ts stops every process it started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, 'cpu-prof': { type: 'boolean', default: false } } });
  const scenarios = selected(values.only);
  const started = Date.now();
  const log = (message: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
  log('bundling the relay as npm run build does, and compiling the baseline');
  const cpuProfDir = values['cpu-prof'] ? path.join(ROOT, 'bench/results/profiles') : undefined;
  const build = await buildChildren({ readableNames: cpuProfDir !== undefined });
  const ctx: BenchContext = { build, cache: {}, log, ...(cpuProfDir && { cpuProfDir }) };
  const speed = await machineSpeed();
  log(`machine speed: Redis PING round trip ${speed.redisPingUs} µs, 1e7-step JS loop ${speed.loopMs} ms`);
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  let couldNotRun = 0;
  try {
    for (const scenario of scenarios) {
      const busy = await machineBusy();
      log(`--- ${scenario.title} (machine ${Math.round(busy * 100)}% busy before it)`);
      if (busy > 0.2) log(`warning: something else is using ${Math.round(busy * 100)}% of the CPUs; figures will be lower and noisier than on an idle machine`);
      try {
        const result = await scenario.run(ctx);
        rows.push(...result.rows);
        details[scenario.name] = { ...result.details, machineBusyBefore: busy };
      } catch (error) {
        couldNotRun += 1;
        const message = error instanceof Error ? error.message : String(error);
        log(`${scenario.title} could not run: ${error instanceof Error ? (error.stack ?? message) : message}`);
        rows.push(row(scenario.title, 'could not run', 'error', '—', false, message.split('\n')[0]));
        details[scenario.name] = { error: message };
      }
    }
  } finally {
    await build.remove();
  }
  const meta = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    machineSpeed: speed,
    scenarios: scenarios.map((s) => s.name),
    runtimeS: Math.round((Date.now() - started) / 1000),
    ...(cpuProfDir && { cpuProfiles: cpuProfDir }),
  };
  const speedLine = `machine speed: Redis PING round trip ${speed.redisPingUs} µs (sequential, median), 1e7-step JS loop ${speed.loopMs} ms`;
  process.stdout.write(
    `\ndeploy-relay bench, ${meta.date}, commit ${meta.commit}, node ${meta.node}, ${meta.cpus} x ${meta.cpuModel}\n${speedLine}\n\n${formatTable(rows)}\n\n`,
  );
  const file = await writeResults(path.join(ROOT, 'bench/results'), { ...meta, rows, details });
  process.stdout.write(`figures written to ${path.relative(ROOT, file)}\n`);
  return couldNotRun > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
