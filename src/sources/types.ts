/**
 * The contract every provider implements. A provider is data plus two small pure functions:
 * `authenticate` looks only at headers, the path token and the exact raw bytes; `parse` turns
 * an already-authenticated JSON body into normalized events. Neither throws for bad input:
 * expected outcomes are values.
 */

/** The keys a source may carry in the rules file; which ones a provider needs is its own data. */
export interface SourceConfig {
  readonly name: string;
  readonly type: string;
  readonly secret?: string;
  readonly token?: string;
  readonly signingSecret?: string;
  readonly header?: { readonly name: string; readonly value: string };
  readonly registryHost?: string;
}

/** Longest token a source may carry; a path token must also stay within one URL path segment. */
export const MAX_TOKEN_LENGTH = 256;
/** Longest delivery id stored: longer ones could not be looked up through `GET /deliveries/:id`. */
export const MAX_DELIVERY_ID_LENGTH = 200;

/** Every key a source may carry in the rules file; the rules schema and the redaction list derive from it. */
export const SOURCE_KEYS = ['secret', 'token', 'signingSecret', 'header', 'registryHost'] as const;
export type SourceKey = (typeof SOURCE_KEYS)[number];
/** The keys whose value is a credential, and where in them it sits. */
export const SECRET_KEY_PATHS = ['secret', 'token', 'signingSecret', 'header.value'] as const;

export interface WebhookRequest {
  /** Header names are lower-case, as Node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly rawBody: Buffer;
  /** The `:token` path segment of `POST /webhooks/:source/:token`, when present. */
  readonly pathToken?: string;
  /** Injected so signature freshness checks are testable without fake timers. */
  readonly now: Date;
}

/**
 * `signature`, for providers that sign the content, is the verified signature (hex): equal
 * signatures mean equal signed content, so intake answers a second request carrying one as a
 * repeat whatever unsigned delivery id it names.
 */
export type AuthResult = { readonly ok: true; readonly signature?: string } | { readonly ok: false; readonly reason: string };

/**
 * What one delivery says happened. Git hosts fill repository/branch/tag/commit; registries fill
 * image/tag (and sometimes digest). `pushedAt` is the provider's own time of the push when it
 * tells one, so "newest" can follow push order rather than arrival order.
 */
export interface NormalizedEvent {
  /** Provider event name as received, e.g. `push`, `Tag Push Hook`, `PUSH_ARTIFACT`. */
  readonly event: string;
  readonly repository?: string;
  /** Fully qualified, lower-case image name including the registry host (`docker.io/acme/api`). */
  readonly image?: string;
  readonly branch?: string;
  readonly tag?: string;
  readonly commit?: string;
  readonly digest?: string;
  /** ISO-8601 time of the push as the provider reports it. */
  readonly pushedAt?: string;
  /** Files changed by a git push (added, modified, removed), when the provider lists them. */
  readonly paths?: readonly string[];
}

export type ParseResult =
  | {
      readonly kind: 'events';
      readonly deliveryId: string;
      readonly event: string;
      /** One delivery may carry several events (Bitbucket changes, Quay tags, Distribution envelopes). */
      readonly events: readonly NormalizedEvent[];
      /** Why some parts of the delivery were skipped (deletions, child manifests...), if any. */
      readonly skipped?: readonly string[];
    }
  | { readonly kind: 'ping'; readonly deliveryId: string; readonly event: string }
  /** A report of how a deployment at Qovery went (Qovery's own webhooks): it deploys nothing, it moves what is followed. */
  | { readonly kind: 'status'; readonly deliveryId: string; readonly event: string; readonly report: StatusReport }
  | {
      readonly kind: 'ignored';
      readonly deliveryId: string;
      readonly event: string;
      readonly reason: string;
      /** What could still be read, so the history shows it. */
      readonly read?: NormalizedEvent;
    }
  | { readonly kind: 'invalid'; readonly reason: string };

/** The outcomes Qovery's deployment events report, by event type. */
export const STATUS_OUTCOMES = ['started', 'succeeded', 'failed', 'cancelled'] as const;
export type StatusOutcome = (typeof STATUS_OUTCOMES)[number];

/** What a deployment event said happened at Qovery, read loosely: its payload is only partly documented. */
export interface StatusReport {
  readonly outcome: StatusOutcome;
  /** When Qovery created the event (ISO-8601), if it said. */
  readonly at?: string;
  /** Every id the event gives that may name the deployment request (`payload.id`, `payload.deployment_id`). */
  readonly requestIds: readonly string[];
  /** `payload.environment.id`, when sent. */
  readonly environmentId?: string;
  /** Ids of the services the event lists, when it lists any. */
  readonly serviceIds: readonly string[];
  /** Qovery's own status words for the record (`payload.current_status`). */
  readonly state?: string;
}

export interface Provider {
  readonly type: string;
  /**
   * Lower-case names of the headers that carry its signature or token, for log redaction; providers
   * that check a configured header list its default name.
   */
  readonly credentialHeaders: readonly string[];
  /** Rules-file keys this provider cannot work without. */
  readonly requiredKeys: readonly SourceKey[];
  /** Keys it understands but can do without. Any other key on the source is a config error. */
  readonly optionalKeys?: readonly SourceKey[];
  /** Alternatives among the optional keys: at least one of these must be set... */
  readonly oneOfKeys?: readonly SourceKey[];
  /** ...and, when true, no more than one. */
  readonly oneOfExclusive?: boolean;
  /** True when the secret travels in the URL path (`POST /webhooks/:source/:token`). */
  readonly tokenInPath?: boolean;
  authenticate(source: SourceConfig, request: WebhookRequest): AuthResult;
  /** `body` is the JSON-parsed raw body; `request` gives headers for event type and delivery id. */
  parse(source: SourceConfig, request: WebhookRequest, body: unknown): ParseResult;
}
