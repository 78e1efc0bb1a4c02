import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../../test/support/redis-provision.js';
import { hammer, type LoadResult } from '../load.js';
import { makeTempDir, scope } from '../cleanup.js';
import { cpuMeter, sample } from '../proc.js';
import { startChild } from '../processes.js';
import { GITHUB_SECRET } from '../pushes.js';
import { row, type Scenario } from '../report.js';
import { mb, ms, perSecond, ratio } from '../stats.js';
import { CONNECTIONS, MEASURE_S, measureRelayIngest, pushStream } from './ingest.js';

const TARGET = 1.3;

function webhookBinary(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v webhook'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * adnanh/webhook checking GitHub's X-Hub-Signature-256 over the body (it strips "sha256=") and
 * running /bin/true for each delivery that passes. A mismatch answers 401 so autocannon counts it
 * as a failure rather than as a fast 200.
 */
function hooksJson(): string {
  return JSON.stringify([
    {
      id: 'deploy',
      'execute-command': '/bin/true',
      'command-working-directory': '/',
      'response-message': 'queued',
      'trigger-rule-mismatch-http-response-code': 401,
      'trigger-rule': {
        match: { type: 'payload-hmac-sha256', secret: GITHUB_SECRET, parameter: { source: 'header', name: 'X-Hub-Signature-256' } },
      },
    },
  ]);
}

async function measurePeer(binary: string): Promise<LoadResult & { peakRss: number; cpuUsPerRequest: Record<string, number> }> {
  const resources = scope();
  try {
    const { dir } = resources.defer(await makeTempDir('webhook'), (d) => d.remove());
    const hooks = path.join(dir, 'hooks.json');
    await writeFile(hooks, hooksJson());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = ['-hooks', hooks, '-ip', '127.0.0.1', '-port', String(port), '-http-methods', 'POST'];
    const peer = resources.defer(await startChild(binary, args, {}, { http: `${url}/hooks/deploy` }), (p) => p.stop());
    const next = pushStream();
    await hammer({ url, path: '/hooks/deploy', connections: CONNECTIONS, durationS: 2, next });
    const rss = sample(() => peer.rss(), 250);
    const cpu = cpuMeter({ server: peer.pid });
    await cpu.start();
    const result = await hammer({ url, path: '/hooks/deploy', connections: CONNECTIONS, durationS: MEASURE_S, next });
    return { ...result, peakRss: rss.stop().peak, cpuUsPerRequest: await cpu.stop(result.ok + result.non2xx) };
  } finally {
    await resources.close();
  }
}

export const peer: Scenario = {
  name: 'peer',
  title: '2 peer',
  async run(ctx) {
    const binary = webhookBinary();
    if (!binary) {
      const note = 'the Debian package `webhook` (adnanh/webhook) is not installed; `apt-get install -y webhook` to measure it';
      ctx.log(`peer: skipped, ${note}`);
      return { rows: [row(this.title, 'relay/webhook throughput', 'skipped', `>= ${TARGET.toFixed(2)}x`, null, note)], details: { skipped: note } };
    }
    ctx.log(`peer: ${binary}, HMAC-checked hook running /bin/true, ${MEASURE_S} s at ${CONNECTIONS} connections`);
    const result = await measurePeer(binary);
    const relay = await measureRelayIngest(ctx);
    const r = relay.rps / result.rps;
    const failures = result.non2xx + result.errors;
    return {
      rows: [
        row(
          this.title,
          'webhook (adnanh): throughput',
          perSecond(result.rps),
          '—',
          null,
          failures > 0 ? `${result.non2xx} non-2xx answers and ${result.errors} errors` : undefined,
        ),
        row(this.title, 'webhook: latency p50 / p99, peak RSS', `${ms(result.p50Ms)} / ${ms(result.p99Ms)}, ${mb(result.peakRss)}`),
        row(
          this.title,
          'CPU per webhook: webhook (with its /bin/true) / relay + Redis',
          `${result.cpuUsPerRequest.server} µs / ${relay.cpuUsPerRequest.server} + ${relay.cpuUsPerRequest.redis} µs`,
        ),
        row(this.title, 'throughput ratio relay/webhook', ratio(r), `>= ${TARGET.toFixed(2)}x`, r >= TARGET),
      ],
      details: { binary, webhook: result, relay },
    };
  },
};
