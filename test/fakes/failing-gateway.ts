/**
 * A gateway in front of the fake Qovery, as a real HTTP server on 127.0.0.1: it forwards every
 * request, waits for Qovery's whole answer, and then, for a share of them chosen by a seeded
 * generator, answers a 502 page instead. Qovery has acted on every request it forwarded; only the
 * answer is lost, which is what a load balancer timing out on its upstream or failing mid-answer does.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readBody, sendError } from './fake-qovery-http.js';

export interface FailingGateway {
  readonly url: string;
  /** Answers passed on as Qovery sent them, answers replaced by a 502, and how many of those answered a deploy call. */
  stats(): { forwarded: number; replaced: number; replacedDeploys: number };
  close(): Promise<void>;
}

/** mulberry32: a small seeded generator, so a run's choice of replaced answers is the same each time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Upstream {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export async function startFailingGateway(options: { target: string; share: number; seed: number }): Promise<FailingGateway> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });
  const random = seededRandom(options.seed);
  const sockets = new Set<Socket>();
  const counts = { forwarded: 0, replaced: 0, replacedDeploys: 0 };

  const forward = (req: IncomingMessage, body: string): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const upstream = request(
        { hostname: target.hostname, port: target.port, path: req.url, method: req.method, agent, headers: { ...req.headers, host: target.host } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    let answer: Upstream;
    try {
      answer = await forward(req, body);
    } catch {
      return sendError(res, { status: 502, body: 'html' });
    }
    // Drawn after forwarding, so which answers are lost does not depend on how Qovery answered.
    if (random() < options.share) {
      counts.replaced += 1;
      if (req.method === 'POST') counts.replacedDeploys += 1;
      return sendError(res, { status: 502, body: 'html' });
    }
    counts.forwarded += 1;
    const { connection: _connection, 'keep-alive': _keepAlive, 'transfer-encoding': _encoding, ...headers } = answer.headers;
    res.writeHead(answer.status, { ...headers, 'content-length': answer.body.length });
    res.end(answer.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => sendError(res, { status: 502, body: 'html' }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ ...counts }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
