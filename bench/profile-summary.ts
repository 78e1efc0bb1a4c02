/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [function]`: where a profile written by
 * `npm run bench -- --cpu-prof` spent its time. Prints self time by package and by function;
 * with a function name, also the call chains that lead to it (inclusive time).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, target] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [function]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parents = new Map<number, number>();
for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);

const selfTime = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
});

const shortUrl = (url: string): string =>
  url
    .replace(/^.*node_modules\//, '')
    .replace(/^.*deploy-relay-bench-[^/]+\//, '')
    .replace(/^file:\/\//, '');
const label = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
function packageOf(n: ProfileNode): string {
  const url = shortUrl(n.callFrame.url);
  if (!url) return n.callFrame.functionName || '(native)';
  const parts = url.split('/');
  if (url.startsWith('node:') || url.startsWith('src/') || url.startsWith('bench/')) return parts.slice(0, 2).join('/');
  return parts.slice(0, parts[0]?.startsWith('@') ? 2 : 1).join('/');
}

function top(totals: Map<string, number>, count: number): string {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}`)
    .join('\n');
}

const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, t] of selfTime) {
  const n = nodes.get(id) as ProfileNode;
  byPackage.set(packageOf(n), (byPackage.get(packageOf(n)) ?? 0) + t);
  byFunction.set(label(n), (byFunction.get(label(n)) ?? 0) + t);
}
process.stdout.write(
  `${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nself time by package\n${top(byPackage, 20)}\n\nself time by function\n${top(byFunction, 30)}\n`,
);

if (target) {
  const chains = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const stack: ProfileNode[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parents.get(cur)) stack.push(nodes.get(cur) as ProfileNode);
    const at = stack.findIndex((n) => n.callFrame.functionName === target);
    if (at < 0) continue;
    const chain = stack
      .slice(at, at + 8)
      .map(label)
      .join(' < ');
    chains.set(chain, (chains.get(chain) ?? 0) + t);
  }
  process.stdout.write(`\nchains through ${target} (inclusive)\n${top(chains, 10)}\n`);
}
