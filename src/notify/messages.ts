import { z } from 'zod';
import { deploymentEventSchema } from '../events/schema.js';
import { DEPLOYMENT_STATUSES, type DeploymentState, type DeploymentStatus } from '../history/model.js';
import { DEPLOYMENT_KINDS } from '../qovery/targets.js';
import type { CommitOutcome } from './commit-status.js';

/** What every message says about the deployment, gathered once by the sender. */
export interface DeploymentNews {
  readonly eventId: string;
  readonly status: DeploymentStatus;
  readonly previous?: DeploymentStatus;
  readonly at: string;
  readonly deployment: DeploymentState;
  /** The version deployed: the image tag (or chart version), else the commit. */
  readonly version?: string;
  /** The version the target ran before: its last succeeded deployment's. */
  readonly previousVersion?: string;
  /** The deployment on the dashboard, when RELAY_PUBLIC_URL says where the relay is. */
  readonly url?: string;
}

export const versionOf = (d: Pick<DeploymentState, 'imageTag' | 'gitCommitId'>): string | undefined => d.imageTag ?? d.gitCommitId?.slice(0, 12);

export const targetLabel = (d: Pick<DeploymentState, 'targetKind' | 'targetId'>): string => `${d.targetKind} ${d.targetId}`;

/**
 * The body a `webhook:` notification receives, signed with HMAC-SHA256 in `X-Relay-Signature`.
 * `event` is the live event (`GET /events`) that caused it; the rest saves a round trip back.
 */
export const notificationPayloadSchema = z.object({
  eventId: z.string().describe('the events-stream id, also in X-Relay-Event-Id: the same id twice is one event'),
  notification: z.string().describe("the rules file's notification name"),
  event: deploymentEventSchema,
  deployment: z.object({
    id: z.string(),
    route: z.string(),
    source: z.string(),
    target: z.object({ kind: z.enum(DEPLOYMENT_KINDS), id: z.string() }),
    status: z.enum(DEPLOYMENT_STATUSES),
    imageTag: z.string().optional(),
    gitCommitId: z.string().optional(),
    reason: z.string().optional(),
    redeployOf: z.string().optional(),
  }),
  version: z.string().optional(),
  previousVersion: z.string().optional(),
  url: z.string().optional(),
});
export type NotificationPayload = z.infer<typeof notificationPayloadSchema>;

export function webhookPayload(news: DeploymentNews, notification: string): NotificationPayload {
  const d = news.deployment;
  return {
    eventId: news.eventId,
    notification,
    event: { type: 'deployment', id: d.id, status: news.status, ...(news.previous !== undefined && { previous: news.previous }), at: news.at },
    deployment: {
      id: d.id,
      route: d.route,
      source: d.source,
      target: { kind: d.targetKind, id: d.targetId },
      status: d.status,
      ...(d.imageTag !== undefined && { imageTag: d.imageTag }),
      ...(d.gitCommitId !== undefined && { gitCommitId: d.gitCommitId }),
      ...(d.reason !== undefined && { reason: d.reason }),
      ...(d.redeployOf !== undefined && { redeployOf: d.redeployOf }),
    },
    ...(news.version !== undefined && { version: news.version }),
    ...(news.previousVersion !== undefined && { previousVersion: news.previousVersion }),
    ...(news.url !== undefined && { url: news.url }),
  };
}

const SLACK_ICONS: Readonly<Record<DeploymentStatus, string>> = {
  queued: ':inbox_tray:',
  deploying: ':rocket:',
  retrying: ':repeat:',
  accepted: ':rocket:',
  in_progress: ':hourglass_flowing_sand:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  superseded: ':fast_forward:',
  timed_out: ':alarm_clock:',
  ignored: ':zzz:',
};

/** Slack reads `&`, `<` and `>` as markup; everything the relay did not write itself is escaped. */
const escapeSlack = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const code = (text: string): string => `\`${escapeSlack(text).replace(/`/g, "'")}\``;

/** An incoming-webhook message: one line a person reads first, then what and where, then why. */
export function slackMessage(news: DeploymentNews): { text: string } {
  const d = news.deployment;
  const versions =
    news.version === undefined
      ? ''
      : news.previousVersion !== undefined && news.previousVersion !== news.version
        ? ` ${code(news.previousVersion)} → ${code(news.version)}`
        : ` ${code(news.version)}`;
  const lines = [
    `${SLACK_ICONS[news.status]} *${news.status.replace('_', ' ')}*: route ${code(d.route)} to ${escapeSlack(d.targetKind)} ${code(d.targetId)}${versions}`,
    ...(d.reason !== undefined && news.status !== 'succeeded' ? [`> ${escapeSlack(d.reason)}`] : []),
    ...(news.url !== undefined ? [`<${news.url}|Open deployment ${escapeSlack(d.id)}>`] : [`deployment ${code(d.id)}`]),
  ];
  return { text: lines.join('\n') };
}

/** The commit status's one-line description. */
export function commitDescription(outcome: CommitOutcome, news: DeploymentNews): string {
  const what = `${news.version ?? 'this commit'} to ${targetLabel(news.deployment)}`;
  const reason = news.deployment.reason;
  switch (outcome) {
    case 'pending':
      return `Qovery is deploying ${what}`;
    case 'success':
      return `Deployed ${what}`;
    case 'stopped':
      return 'Superseded by a newer deployment';
    case 'failure':
      return `${news.status === 'timed_out' ? 'Timed out' : 'Failed'}${reason !== undefined ? `: ${reason}` : ` deploying ${what}`}`;
  }
}
