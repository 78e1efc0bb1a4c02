import { z } from 'zod';
import { authorizationHeader } from './client.js';
import { describeErrorBody } from './errors.js';
import { createHttpTransport, jsonOf } from './http.js';

/** Every deployment event Qovery sends (OrganizationWebhookEventEnum): the relay follows with all four. */
export const QOVERY_WEBHOOK_EVENTS = ['DEPLOYMENT_STARTED', 'DEPLOYMENT_SUCCESSFUL', 'DEPLOYMENT_FAILURE', 'DEPLOYMENT_CANCELLED'] as const;

const webhookSchema = z.object({ id: z.string(), target_url: z.string().optional(), events: z.array(z.string()).optional() }).passthrough();
const listSchema = z.object({ results: z.array(webhookSchema) });

export interface WebhookRegistration {
  readonly apiUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
  readonly organizationId: string;
  /** Where Qovery should POST: the relay's `/webhooks/<source>` URL. */
  readonly targetUrl: string;
  readonly secret: string;
}

export type RegistrationResult =
  { readonly ok: true; readonly action: 'created' | 'updated'; readonly id: string } | { readonly ok: false; readonly detail: string };

/**
 * Registers the relay as an organization webhook of kind STANDARD for the deployment events
 * (`POST /organization/{id}/webhook`), or updates the one already pointing at the same URL
 * (`PUT .../webhook/{webhookId}`), so running it again never makes Qovery send each event twice.
 * The secret is always sent: Qovery never returns it, and a PUT without it may clear it.
 */
export async function registerQoveryWebhook(input: WebhookRegistration): Promise<RegistrationResult> {
  const transport = createHttpTransport(input.apiUrl);
  const headers = { authorization: authorizationHeader(input.token), accept: 'application/json', 'content-type': 'application/json' };
  const base = `/organization/${encodeURIComponent(input.organizationId)}/webhook`;
  const refused = (what: string, answer: { status: number; contentType: string | undefined; text: string }) => ({
    ok: false as const,
    detail: `${what} answered HTTP ${answer.status}: ${describeErrorBody(answer.status, answer.contentType ?? null, answer.text)}`,
  });

  const listed = await transport.send('GET', base, headers, undefined, input.timeoutMs);
  if (listed.status !== 200) return refused(`GET ${base}`, listed);
  const list = listSchema.safeParse(jsonOf(listed.text));
  if (!list.success) return { ok: false, detail: `GET ${base} answered a body that is not a webhook list` };
  const existing = list.data.results.find((hook) => hook.target_url === input.targetUrl);

  const body = JSON.stringify({
    kind: 'STANDARD',
    target_url: input.targetUrl,
    target_secret: input.secret,
    description: 'deploy-relay: deployment events for following',
    enabled: true,
    events: QOVERY_WEBHOOK_EVENTS,
  });
  const path = existing ? `${base}/${encodeURIComponent(existing.id)}` : base;
  const answer = await transport.send(existing ? 'PUT' : 'POST', path, headers, body, input.timeoutMs);
  if (answer.status !== (existing ? 200 : 201)) return refused(`${existing ? 'PUT' : 'POST'} ${path}`, answer);
  const saved = webhookSchema.safeParse(jsonOf(answer.text));
  return { ok: true, action: existing ? 'updated' : 'created', id: saved.success ? saved.data.id : (existing?.id ?? 'unknown') };
}
