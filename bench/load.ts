import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

export interface OutgoingRequest {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface LoadResult {
  /** 2xx answers per second over the measured duration. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly durationS: number;
}

/**
 * Drives closed-loop load with autocannon: `connections` keep-alive connections, each sending its
 * next request as soon as the previous is answered. `next` is called for every request, so each
 * one can be a distinct delivery.
 */
export async function hammer(options: {
  url: string;
  path: string;
  connections: number;
  durationS?: number;
  amount?: number;
  next: () => OutgoingRequest;
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    timeout: 30,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationS ?? 10 }),
    requests: [
      {
        method: 'POST',
        path: options.path,
        setupRequest: (req) => {
          const { headers, body } = options.next();
          return { ...req, headers, body };
        },
      },
    ],
  });
  return {
    rps: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    durationS: result.duration,
  };
}

export interface PacedResult {
  readonly sent: number;
  readonly statuses: ReadonlyMap<number, number>;
  readonly errors: number;
  /** From the first request leaving to the last one leaving. */
  readonly sendSpanS: number;
  /** From the first request leaving to the last answer. */
  readonly durationS: number;
}

/**
 * Open-loop load at a steady rate: request i leaves at start + i/rate, whatever the answers do.
 * autocannon's rate limit releases each second's quota at once, a burst every second, which would
 * measure queueing behind the burst rather than the latency of a steady stream.
 * `onSend` is called just before a request is written, with wall-clock ms.
 */
export async function paced(options: {
  url: string;
  path: string;
  perSecond: number;
  count: number;
  maxSockets?: number;
  make: (i: number) => OutgoingRequest;
  onSend?: (i: number, atMs: number) => void;
}): Promise<PacedResult> {
  const target = new URL(options.path, options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  const statuses = new Map<number, number>();
  let errors = 0;
  const answers: Array<Promise<void>> = [];
  const send = (i: number) => {
    const { headers, body } = options.make(i);
    answers.push(
      new Promise<void>((resolve) => {
        const req = request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
          statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
          res.resume();
          res.once('end', resolve);
        });
        req.once('error', () => {
          errors += 1;
          resolve();
        });
        options.onSend?.(i, Date.now());
        req.end(body);
      }),
    );
  };
  const started = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(options.count, Math.floor(((performance.now() - started) * options.perSecond) / 1000) + 1);
      while (next < due) send(next++);
      if (next >= options.count) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
    tick();
  });
  const sendSpanS = (performance.now() - started) / 1000;
  await Promise.all(answers);
  agent.destroy();
  return { sent: options.count, statuses, errors, sendSpanS, durationS: (performance.now() - started) / 1000 };
}
