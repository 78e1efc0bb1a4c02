/**
 * `npm run bench:compare -- <git ref> [<git ref> ...] [--rounds 3] [--cpu-prof]`: the ingest scenario's relay as
 * it was at each ref and as the working tree has it, measured in turns within one run (the order
 * rotates every round, each measurement on a fresh private Redis), so that a change can be judged
 * on this noisy machine by ratios of medians against the first ref rather than by figures from
 * different hours.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildChildren, buildRelayAt, ROOT, type Build } from './build.js';
import { formatTable, row, writeResults, type IngestFigures } from './report.js';
import { measureRelayIngest } from './scenarios/ingest.js';
import { percentile, perSecond, ratio } from './stats.js';

const median = (values: readonly number[]): number => percentile(values, 50);

interface Side {
  readonly name: string;
  readonly build: Build;
  readonly runs: IngestFigures[];
}

const cpuOf = (f: IngestFigures) => (f.cpuUsPerRequest.server ?? 0) + (f.cpuUsPerRequest.redis ?? 0);

async function main(): Promise<void> {
  const { values, positionals: refs } = parseArgs({
    allowPositionals: true,
    options: { rounds: { type: 'string', default: '3' }, 'cpu-prof': { type: 'boolean', default: false } },
  });
  const cpuProfDir = values['cpu-prof'] ? path.join(ROOT, 'bench/results/profiles') : undefined;
  const rounds = Number(values.rounds);
  if (refs.length === 0 || !Number.isInteger(rounds) || rounds < 1) throw new Error('usage: npm run bench:compare -- <git ref> [<git ref> ...] [--rounds N]');
  const started = Date.now();
  const log = (message: string) => process.stderr.write(`[compare +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
  log(`compiling ${refs.join(', ')} and the working tree`);
  const sides: Side[] = [];
  try {
    for (const ref of refs) {
      const build = await buildRelayAt(ref, { readableNames: cpuProfDir !== undefined });
      sides.push({ name: ref === build.commit ? ref : `${ref} (${build.commit})`, build, runs: [] });
    }
    sides.push({ name: 'working tree', build: await buildChildren({ readableNames: cpuProfDir !== undefined }), runs: [] });
    for (let round = 0; round < rounds; round++) {
      // Rotating the order spreads a slow stretch of the machine over every side.
      const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
      for (const side of order) {
        log(`round ${round + 1}/${rounds}: ${side.name}`);
        side.runs.push(await measureRelayIngest({ build: side.build, cache: {}, log, ...(cpuProfDir && { cpuProfDir }) }));
      }
    }
  } finally {
    await Promise.all(sides.map((s) => s.build.remove()));
  }
  const rps = (s: Side) => median(s.runs.map((r) => r.rps));
  const cpu = (s: Side) => median(s.runs.map(cpuOf));
  const first = sides[0]!;
  const title = 'ingest compared';
  const rows = sides.flatMap((s) => [
    row(title, `${s.name}: throughput (median of ${rounds})`, perSecond(rps(s)), '—', null, s.runs.map((r) => Math.round(r.rps)).join(', ')),
    row(title, `${s.name}: relay + Redis CPU per webhook`, `${Math.round(cpu(s))} µs`, '—', null, s.runs.map((r) => Math.round(cpuOf(r))).join(', ')),
    ...(s === first
      ? []
      : [
          row(title, `${s.name}: throughput / ${first.name}`, ratio(rps(s) / rps(first)), '>= 1.00x', rps(s) >= rps(first)),
          row(title, `${s.name}: CPU per webhook / ${first.name}`, ratio(cpu(s) / cpu(first)), '<= 1.00x', cpu(s) <= cpu(first)),
        ]),
  ]);
  process.stdout.write(`${formatTable(rows)}\n`);
  const file = await writeResults(path.join(ROOT, 'bench/results'), {
    date: new Date().toISOString(),
    rounds,
    sides: sides.map((s) => ({ name: s.name, runs: s.runs })),
  });
  log(`figures written to ${file}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
