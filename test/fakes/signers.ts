import { createHash, createHmac } from 'node:crypto';
import type { SourceConfig } from '../../src/sources/types.js';

/**
 * How each provider really signs a delivery, written from the vendor's documentation and kept
 * separate from src/ so a test that signs and then verifies checks two independent readings.
 */
export interface SignedRequest {
  headers: Record<string, string>;
  /** Set for providers that carry their secret in the URL path. */
  pathToken?: string;
}

export type Signer = (source: SourceConfig, rawBody: Buffer, now: Date) => SignedRequest;

const hexHmac = (algorithm: string, key: string, data: Buffer | string): string => createHmac(algorithm, key).update(data).digest('hex');

export const signers: Record<string, Signer> = {
  github: (source, rawBody) => ({
    headers: { 'x-hub-signature-256': `sha256=${hexHmac('sha256', source.secret ?? '', rawBody)}` },
  }),
  dockerhub: (source) => ({ headers: {}, pathToken: source.token ?? '' }),
  // GitLab: the clear X-Gitlab-Token, and/or with a signing token the Standard Webhooks signature
  // base64(HMAC-SHA256(base64decode(after "whsec_"), "<webhook-id>.<webhook-timestamp>.<body>")).
  gitlab: (source, rawBody, now) => {
    const headers: Record<string, string> = source.token ? { 'x-gitlab-token': source.token } : {};
    if (source.signingSecret) {
      // GitLab sends its Idempotency-Key UUID as webhook-id; any stable id serves the signature.
      const id = createHash('sha256').update(rawBody).digest('hex').slice(0, 32);
      const timestamp = String(Math.floor(now.getTime() / 1000));
      const key = Buffer.from(source.signingSecret.replace(/^whsec_/, ''), 'base64');
      const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest('base64');
      Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` });
    }
    return { headers };
  },
  // Bitbucket Cloud: SHA-256 despite the header name GitHub uses for SHA-1.
  bitbucket: (source, rawBody) => ({
    headers: { 'x-hub-signature': `sha256=${hexHmac('sha256', source.secret ?? '', rawBody)}` },
  }),
  // Gitea (and Forgejo, which repeats it under X-Forgejo-Signature): bare hex, no prefix.
  gitea: (source, rawBody) => ({ headers: { 'x-gitea-signature': hexHmac('sha256', source.secret ?? '', rawBody) } }),
  // Our own CI webhook, always with the optional timestamp so its freshness check is exercised.
  generic: (source, rawBody, now) => {
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const signature = createHmac('sha256', source.secret ?? '')
      .update(`${timestamp}.`)
      .update(rawBody)
      .digest('hex');
    return { headers: { 'x-relay-timestamp': timestamp, 'x-relay-signature': `sha256=${signature}` } };
  },
  // EventBridge API destination connection (API key or Basic auth) sends the configured header as is.
  ecr: (source) => ({ headers: source.header ? { [source.header.name.toLowerCase()]: source.header.value } : {} }),
  // Artifactory: the plain secret token, or with payload signing on, the hex HMAC-SHA256 of the body.
  jfrog: (source, rawBody) => ({
    headers: { 'x-jfrog-event-auth': source.secret ? hexHmac('sha256', source.secret, rawBody) : (source.token ?? '') },
  }),
  nexus: (source, rawBody) => ({ headers: { 'x-nexus-webhook-signature': hexHmac('sha1', source.secret ?? '', rawBody) } }),
  // The registry's notification endpoint `headers:` config sends the header with every envelope.
  distribution: (source) => ({
    headers: source.header ? { [source.header.name.toLowerCase()]: source.header.value } : {},
  }),
  // Harbor: the policy's "Auth Header" string, always sent as Authorization, whatever the rules name it.
  harbor: (source) => ({ headers: { authorization: source.header?.value ?? '' } }),
  // Quay signs nothing and has no custom headers: the secret is the token in the webhook URL.
  quay: (source) => ({ headers: {}, pathToken: source.token ?? '' }),
  // ACR: the webhook's custom headers are sent as configured, nothing else.
  acr: (source) => ({ headers: source.header ? { [source.header.name.toLowerCase()]: source.header.value } : {} }),
  // Pub/Sub push to an endpoint URL carrying the token (OIDC push auth is not simulated).
  gar: (source) => ({ headers: {}, pathToken: source.token ?? '' }),
  // Qovery sends the webhook's secret itself, in the header its OpenAPI spec names.
  qovery: (source) => ({ headers: { 'qovery-signature': source.secret ?? '' } }),
};

export function sign(source: SourceConfig, rawBody: Buffer, now = new Date()): SignedRequest {
  const signer = signers[source.type];
  if (!signer) throw new Error(`no test signer for provider type "${source.type}"`);
  return signer(source, rawBody, now);
}
