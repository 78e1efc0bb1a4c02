/**
 * The fake Qovery's organization webhooks: the management API (Qovery/qovery-openapi-spec
 * openapi.yaml at 651aed5, tag "Organization Webhook") and the deliveries it sends. The body of a
 * delivery is documented only as a skeleton (docs/qovery-webhooks.md): `created_at`,
 * `event_type`, `payload_type`, `payload_id`, `payload.{id, current_status, desired_status,
 * organization, project, environment, applications, containers, jobs, databases, logs}`. The fake
 * fills the objects with ids, as a third-party receiver reads them, and lists `helms` too.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { sendError, sendJson } from './fake-qovery-http.js';

export const WEBHOOK_EVENTS = ['DEPLOYMENT_STARTED', 'DEPLOYMENT_CANCELLED', 'DEPLOYMENT_FAILURE', 'DEPLOYMENT_SUCCESSFUL'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** OrganizationWebhookCreateRequest: kind, target_url and events required; target_secret write-only. */
const CreateBody = z.object({
  kind: z.enum(['STANDARD', 'SLACK']),
  target_url: z.string().regex(/^https?:\/\//, 'must start with http:// or https://'),
  target_secret: z.string().optional(),
  description: z.string().optional(),
  enabled: z.boolean().optional(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  project_names_filter: z.array(z.string()).optional(),
  environment_types_filter: z.array(z.enum(['DEVELOPMENT', 'PREVIEW', 'PRODUCTION', 'STAGING'])).optional(),
});
type Webhook = z.infer<typeof CreateBody> & { id: string; organizationId: string; created_at: string; updated_at: string };

const WEBHOOKS_PATH = /^\/organization\/([^/]+)\/webhook(?:\/([^/]+))?$/;

/** What the fake knows of one deployment request when it reports on it. */
export interface DeploymentEvent {
  readonly type: WebhookEventType;
  readonly requestId: string;
  readonly environmentId?: string;
  readonly services: ReadonlyArray<{ kind: string; id: string }>;
  readonly state: string;
}

export interface Delivery {
  readonly webhookId: string;
  readonly eventType: WebhookEventType;
  readonly body: Record<string, unknown>;
  /** The answer's HTTP status, or `error` when the receiver could not be reached. */
  readonly status: number | 'error';
}

/** The webhook as the API answers it (OrganizationWebhookResponse): never the secret, only whether one is set. */
function shown(hook: Webhook): Record<string, unknown> {
  const { target_secret: secret, organizationId: _organization, ...rest } = hook;
  return { ...rest, enabled: hook.enabled ?? true, target_secret_set: secret !== undefined && secret !== '' };
}

const LIST_OF_KIND: Record<string, string> = { application: 'applications', container: 'containers', job: 'jobs', helm: 'helms' };

export function createFakeWebhooks() {
  const hooks = new Map<string, Webhook>();
  const deliveries: Delivery[] = [];
  const sending = new Set<Promise<void>>();
  let secretHeader = 'Qovery-Signature';

  function handle(method: string, path: string, body: unknown, res: ServerResponse): boolean {
    const match = WEBHOOKS_PATH.exec(path);
    if (!match) return false;
    const [, organizationId = '', webhookId] = match;
    const existing = webhookId !== undefined ? hooks.get(webhookId) : undefined;
    if (webhookId !== undefined && (!existing || existing.organizationId !== organizationId)) {
      sendError(res, { status: 404, detail: `webhook ${webhookId} not found` });
      return true;
    }
    if (method === 'GET' && existing) sendJson(res, 200, shown(existing));
    else if (method === 'GET') sendJson(res, 200, { results: [...hooks.values()].filter((h) => h.organizationId === organizationId).map(shown) });
    else if (method === 'DELETE' && existing) {
      hooks.delete(existing.id);
      res.writeHead(204).end();
    } else if ((method === 'POST' && !existing) || (method === 'PUT' && existing)) {
      const parsed = CreateBody.safeParse(body);
      if (!parsed.success) {
        sendError(res, { status: 400, detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
        return true;
      }
      const at = new Date().toISOString();
      const hook: Webhook = { ...parsed.data, id: existing?.id ?? randomUUID(), organizationId, created_at: existing?.created_at ?? at, updated_at: at };
      hooks.set(hook.id, hook);
      sendJson(res, existing ? 200 : 201, shown(hook));
    } else sendError(res, { status: 405 });
    return true;
  }

  async function deliver(hook: Webhook, event: DeploymentEvent): Promise<void> {
    const lists: Record<string, Array<{ id: string }>> = { applications: [], containers: [], jobs: [], helms: [], databases: [] };
    for (const service of event.services) lists[LIST_OF_KIND[service.kind] ?? 'jobs']?.push({ id: service.id });
    const body = {
      created_at: new Date().toISOString(),
      event_type: event.type,
      payload_type: 'DEPLOYMENT',
      payload_id: randomUUID(),
      payload: {
        id: event.requestId,
        current_status: event.state,
        desired_status: 'DEPLOYED',
        organization: { id: hook.organizationId },
        project: {},
        environment: event.environmentId !== undefined ? { id: event.environmentId } : {},
        ...lists,
        logs: null,
      },
    };
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(hook.target_secret && { [secretHeader]: hook.target_secret }) };
    let status: number | 'error';
    try {
      const answer = await fetch(hook.target_url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
      status = answer.status;
      await answer.arrayBuffer();
    } catch {
      status = 'error';
    }
    deliveries.push({ webhookId: hook.id, eventType: event.type, body, status });
  }

  return {
    handle,
    /** Sends the event to every enabled STANDARD webhook that asked for its type. */
    emit(event: DeploymentEvent): void {
      for (const hook of hooks.values()) {
        if (hook.kind !== 'STANDARD' || hook.enabled === false || !hook.events.includes(event.type)) continue;
        const sent = deliver(hook, event).finally(() => sending.delete(sent));
        sending.add(sent);
      }
    },
    deliveries,
    webhooks: () => [...hooks.values()].map(shown),
    /** Which header carries the secret: the spec says Qovery-Signature, the docs Qovery-Secret. */
    setSecretHeader(name: 'Qovery-Signature' | 'Qovery-Secret'): void {
      secretHeader = name;
    },
    async settled(): Promise<void> {
      await Promise.all([...sending]);
    },
    reset(): void {
      hooks.clear();
      deliveries.length = 0;
      secretHeader = 'Qovery-Signature';
    },
  };
}

export type FakeWebhooks = ReturnType<typeof createFakeWebhooks>;
