import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Build } from './build.js';

/** One line of the table: a figure, its target, and whether this run met it (null: no target). */
export interface Row {
  readonly scenario: string;
  readonly metric: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean | null;
  readonly note?: string;
}

export interface ScenarioResult {
  readonly rows: Row[];
  /** Raw figures for the JSON file. */
  readonly details: Record<string, unknown>;
}

/** What a relay under the ingest load showed, shared by the ingest, peer and footprint scenarios. */
export interface IngestFigures {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly idleRss: number;
  readonly peakRss: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU µs per request of the relay (`server`), Redis and the load generator (`bench`). */
  readonly cpuUsPerRequest: Record<string, number>;
}

export interface BenchContext {
  readonly build: Build;
  readonly cpuProfDir?: string;
  readonly cache: { relayIngest?: IngestFigures };
  log(message: string): void;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

export function row(scenario: string, metric: string, value: string, target = '—', met: boolean | null = null, note?: string): Row {
  return { scenario, metric, value, target, met, ...(note !== undefined && { note }) };
}

const verdict = (met: boolean | null): string => (met === null ? '—' : met ? 'yes' : 'NO');

/** A Markdown table, aligned so it also reads well in a terminal and pastes into the docs as is. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['scenario', 'metric', 'value', 'target', 'met'];
  const cells = rows.map((r) => [r.scenario, r.metric, r.value, r.target, verdict(r.met)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (values: readonly string[]) => `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.scenario}, ${r.metric}: ${r.note}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

export async function writeResults(dir: string, content: Record<string, unknown>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`);
  return file;
}
