import { z } from 'zod';
import { DELIVERY_OUTCOMES, DEPLOYMENT_STATUSES, NOTIFICATION_KINDS, NOTIFICATION_RESULTS } from '../history/model.js';

/**
 * The one list of live events. History writes them to a capped Redis Stream in the same script as
 * the change they describe, so an event exists if and only if its change was stored; `GET /events`
 * serves them as Server-Sent Events with the stream entry's id as the event id, and the consumers
 * that notify (notifications, commit statuses) read the same entries.
 */
export const deliveryEventSchema = z
  .object({
    type: z.literal('delivery'),
    id: z.string().describe('the delivery id'),
    source: z.string(),
    outcome: z.enum(DELIVERY_OUTCOMES),
    at: z.string().describe('when the relay received it (ISO-8601)'),
  })
  .describe('a webhook request was stored: `GET /deliveries/{id}?source=` has the rest');

export const deploymentEventSchema = z
  .object({
    type: z.literal('deployment'),
    id: z.string().describe('the deployment id'),
    status: z.enum(DEPLOYMENT_STATUSES),
    previous: z.enum(DEPLOYMENT_STATUSES).optional().describe('absent on a new deployment (`queued`)'),
    at: z.string().describe('when the transition was recorded (ISO-8601)'),
  })
  .describe('a deployment was created or changed status: `GET /deployments/{id}` has its timeline');

export const notificationEventSchema = z
  .object({
    type: z.literal('notification'),
    deploymentId: z.string(),
    kind: z.enum(NOTIFICATION_KINDS),
    name: z.string().describe("the notification's name, or the source whose git host got the commit status"),
    result: z.enum(NOTIFICATION_RESULTS),
    at: z.string().describe('when the attempt was recorded (ISO-8601)'),
  })
  .describe('an attempt to notify about a deployment was made: `GET /deployments/{id}` lists them under `notifications`');

export const relayEventSchema = z.discriminatedUnion('type', [deliveryEventSchema, deploymentEventSchema, notificationEventSchema]);

export type RelayEvent = z.infer<typeof relayEventSchema>;
export type DeliveryEvent = z.infer<typeof deliveryEventSchema>;
export type DeploymentEvent = z.infer<typeof deploymentEventSchema>;
export type NotificationEvent = z.infer<typeof notificationEventSchema>;

/** The stream entry's single field; its value is the event's JSON. */
export const EVENT_FIELD = 'e';
