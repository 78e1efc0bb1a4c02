import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics/registry.js';

/** The metric names in the README's Metrics table. */
function readmeMetricNames(): string[] {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const lines = readme.split('\n');
  const header = lines.findIndex((line) => line.startsWith('| metric | type | labels |'));
  if (header === -1) throw new Error('README.md has no Metrics table');
  const names: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    names.push(/^\| `([a-z_]+)`/.exec(line)?.[1] ?? line);
  }
  return names;
}

describe('the README Metrics table', () => {
  it('lists exactly the relay_* metrics the registry declares', () => {
    const metrics = createMetrics({ queueCounts: async () => ({}), oldestWaitingMs: async () => 0, qoveryBudgetLeft: async () => 0, followDue: async () => 0 });
    const declared = metrics.registry
      .getMetricsAsArray()
      .map((m) => m.name)
      .filter((name) => name.startsWith('relay_'));
    expect(declared.length).toBeGreaterThan(0);
    expect(readmeMetricNames().sort()).toEqual(declared.sort());
  });
});
