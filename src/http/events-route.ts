import { fastifySSE } from '@fastify/sse';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { EventFeed, FeedMessage } from '../events/feed.js';
import { isStreamId } from '../events/feed.js';
import { relayEventSchema } from '../events/schema.js';
import { requireApiToken } from './auth.js';
import { sendError } from './errors.js';
import { BEARER, errorSchema } from './schemas.js';
import { requireStore } from './store-available.js';

/** A client this far behind is disconnected; it reconnects with Last-Event-ID and catches up from the stream. */
const MAX_UNSENT = 1_000;
const HEARTBEAT_MS = 15_000;

const eventsQuery = z.object({ lastEventId: z.string().optional().describe('the same as the Last-Event-ID header, for clients that cannot set it') }).strict();

const EVENT_TYPES = relayEventSchema.options.map((option) => option.shape.type.value);

const streamDoc = z
  .object({
    id: z.string().describe('the event id: send it back as Last-Event-ID to resume'),
    event: z.enum([...EVENT_TYPES, 'reset']),
    data: relayEventSchema,
  })
  .describe(
    `A text/event-stream. Each event is \`id: <id>\`, \`event: ${EVENT_TYPES.join('|')}\`, \`data: <JSON>\` (the schema below). ` +
      'A `reset` event (data `{}`) says the events after Last-Event-ID are no longer kept: reload what you show. ' +
      `A comment line is sent every ${HEARTBEAT_MS / 1000} s to keep proxies from closing the connection.`,
  );

/**
 * `GET /events`: the live feed as Server-Sent Events, for the dashboard and scripts. It needs the
 * bearer token, so the page reads it with `fetch` (EventSource cannot send headers).
 */
export async function registerEventsRoute(
  app: FastifyInstance,
  deps: { feed: EventFeed; apiToken: string | undefined; storeAvailable: () => boolean },
): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(fastifySSE, { heartbeatInterval: HEARTBEAT_MS });
    // Open streams would hold a shutdown until its deadline: they end first, and clients reconnect elsewhere.
    const open = new Set<() => void>();
    scope.addHook('preClose', async () => {
      for (const end of open) end();
    });
    scope.addHook('onRequest', requireApiToken(deps.apiToken));
    scope.addHook('onRequest', requireStore(deps.storeAvailable));
    scope.get<{ Querystring: z.infer<typeof eventsQuery> }>(
      '/events',
      {
        sse: { kind: 'only' },
        schema: {
          summary: 'Live events (Server-Sent Events), resumable with Last-Event-ID',
          security: BEARER,
          querystring: eventsQuery,
          response: { 200: { description: 'the live feed', content: { 'text/event-stream': { schema: streamDoc } } }, 400: errorSchema, 401: errorSchema },
        },
      },
      async (request, reply) => {
        const lastEventId = reply.sse.lastEventId ?? request.query.lastEventId;
        if (lastEventId !== undefined && !isStreamId(lastEventId)) {
          return sendError(
            request,
            reply,
            400,
            'RELAY_BAD_REQUEST',
            `Last-Event-ID "${lastEventId.slice(0, 40)}" is not an event id of this relay (<ms>-<seq>)`,
          );
        }
        reply.sse.keepAlive();
        reply.sse.sendHeaders();
        // Node holds the head until the first body write; a client waits for it to know the stream is open.
        reply.raw.flushHeaders();
        let unsent = 0;
        let chain = Promise.resolve();
        const write = (message: FeedMessage) => {
          if (!reply.sse.isConnected) return;
          if (++unsent > MAX_UNSENT) {
            subscription.close();
            reply.sse.close();
            return;
          }
          const frame =
            message.kind === 'reset' ? { event: 'reset', data: {} } : { id: message.entry.id, event: message.entry.event.type, data: message.entry.event };
          chain = chain
            .then(() => reply.sse.send(frame))
            .catch(() => subscription.close())
            .finally(() => (unsent -= 1));
        };
        const subscription = deps.feed.subscribe(write, lastEventId);
        const end = () => {
          subscription.close();
          reply.sse.close();
        };
        open.add(end);
        reply.sse.onClose(() => {
          open.delete(end);
          subscription.close();
        });
      },
    );
  });
}
