import { createHash } from 'node:crypto';
import type { NotificationRule, SourceRule } from '../config/rules.js';
import type { History } from '../history/history.js';
import type { DeploymentState } from '../history/model.js';
import type { NotifyJobData } from '../queue/jobs.js';
import { parseRetryAfter } from '../qovery/errors.js';
import type { ActiveRules } from '../routing/active-rules.js';
import { hmac } from '../shared/crypto.js';
import { commitStatusRequest, defaultApiUrlOf, isCommitStatusHost, type CommitStatusHost } from './commit-status.js';
import { commitDescription, slackMessage, versionOf, webhookPayload, type DeploymentNews } from './messages.js';
import { commitOutcomeOf } from './plan.js';

/** The receiver did not take it. `retryable` is false for an answer that would be the same next time. */
export class NotifyRequestError extends Error {
  override readonly name = 'NotifyRequestError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly httpStatus?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The git host's budget for this token is spent: ask again after `waitMs`, without counting an attempt. */
export class NotifyBudgetWait extends Error {
  override readonly name = 'NotifyBudgetWait';
  constructor(readonly waitMs: number) {
    super(`commit-status budget spent; next call in ${waitMs} ms`);
  }
}

export type SendResult = { readonly result: 'sent'; readonly httpStatus: number } | { readonly result: 'skipped'; readonly detail: string };

export interface Budget {
  take(): Promise<number>;
}

/** Cut short so one noisy receiver cannot fill the history. */
const describeAnswer = (status: number, text: string): string => `HTTP ${status}${text.trim() ? `: ${text.trim().replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;

/** 408 and 429 say "later"; 5xx may pass; every other 4xx would be refused again. */
const retryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * Sends one notification job: gathers what the message says (versions, the commit, the link),
 * builds the receiver's request and classifies its answer. Nothing here changes a deployment.
 */
export function createNotifySender(deps: {
  history: History;
  rules: ActiveRules;
  /** Where the dashboard is, for links: RELAY_PUBLIC_URL. */
  publicUrl?: string | undefined;
  timeoutMs: number;
  budgetFor: (hostKey: string) => Budget;
  now?: () => number;
}) {
  const { history } = deps;
  const now = deps.now ?? Date.now;

  async function previousVersion(d: DeploymentState): Promise<string | undefined> {
    const page = await history.listDeployments({ targetKind: d.targetKind, targetId: d.targetId, status: 'succeeded', limit: 20 });
    const before = page.items.find((other) => other.id !== d.id && other.order < d.order);
    return before === undefined ? undefined : versionOf(before);
  }

  async function newsOf(job: NotifyJobData, deployment: DeploymentState): Promise<DeploymentNews> {
    const version = versionOf(deployment);
    const previous = await previousVersion(deployment);
    return {
      eventId: job.eventId,
      status: job.status,
      ...(job.previous !== undefined && { previous: job.previous }),
      at: job.at,
      deployment,
      ...(version !== undefined && { version }),
      ...(previous !== undefined && { previousVersion: previous }),
      ...(deps.publicUrl !== undefined && { url: `${deps.publicUrl.replace(/\/+$/, '')}/#/deployments/${encodeURIComponent(deployment.id)}` }),
    };
  }

  /**
   * The repository and commit the deployment came from, read from its delivery. A re-drive's
   * delivery names only the version, so its original's is read.
   */
  async function commitOf(deployment: DeploymentState): Promise<{ repository: string; sha: string } | undefined> {
    let current: DeploymentState | undefined = deployment;
    for (let hop = 0; current !== undefined && hop < 10; hop += 1) {
      const delivery = await history.getDelivery(current.deliveryId, current.source);
      const reads = (delivery?.read ?? []).filter((r) => r.repository !== undefined && r.commit !== undefined);
      const read =
        reads.find((r) => deployment.gitCommitId !== undefined && r.commit === deployment.gitCommitId) ??
        reads.find((r) => deployment.imageTag !== undefined && r.tag === deployment.imageTag) ??
        reads[0];
      if (read) return { repository: read.repository!, sha: deployment.gitCommitId ?? read.commit! };
      current = current.redeployOf === undefined ? undefined : await history.getDeploymentState(current.redeployOf);
    }
    return undefined;
  }

  async function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'user-agent': 'deploy-relay', ...headers },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
    } catch (err) {
      const cause =
        err instanceof Error && err.name === 'TimeoutError'
          ? `no answer within ${deps.timeoutMs} ms`
          : err instanceof Error
            ? ((err.cause as Error | undefined)?.message ?? err.message)
            : String(err);
      throw new NotifyRequestError(cause, true);
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return response.status;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
    throw new NotifyRequestError(describeAnswer(response.status, text), retryableStatus(response.status), response.status, retryAfterMs);
  }

  async function toReceiver(rule: NotificationRule, news: DeploymentNews): Promise<number> {
    if (rule.slack) return post(rule.slack.url, { 'content-type': 'application/json' }, JSON.stringify(slackMessage(news)));
    const webhook = rule.webhook!;
    const body = JSON.stringify(webhookPayload(news, rule.name));
    return post(
      webhook.url,
      {
        'content-type': 'application/json',
        'x-relay-event-id': news.eventId,
        'x-relay-signature': `sha256=${hmac('sha256', webhook.secret, body).toString('hex')}`,
      },
      body,
    );
  }

  async function toCommit(source: SourceRule & { type: CommitStatusHost }, job: NotifyJobData, news: DeploymentNews): Promise<SendResult> {
    const outcome = commitOutcomeOf(job.status, job.previous);
    if (outcome === undefined) return { result: 'skipped', detail: `a ${job.status} deployment sets no commit status` };
    const commit = await commitOf(news.deployment);
    if (commit === undefined) return { result: 'skipped', detail: 'the delivery names no repository and commit' };
    const { token, apiUrl = defaultApiUrlOf(source.type)! } = source.commitStatus!;
    const hostKey = createHash('sha256').update(`${apiUrl}\n${token}`).digest('hex').slice(0, 16);
    const waitMs = await deps.budgetFor(hostKey).take();
    if (waitMs > 0) throw new NotifyBudgetWait(waitMs);
    const request = commitStatusRequest(source.type, {
      apiUrl,
      token,
      repository: commit.repository,
      sha: commit.sha,
      outcome,
      context: `deploy-relay/${news.deployment.route}`,
      description: commitDescription(outcome, news),
      ...(news.url !== undefined && { targetUrl: news.url }),
    });
    return { result: 'sent', httpStatus: await post(request.url, request.headers, request.body) };
  }

  return {
    async send(job: NotifyJobData): Promise<SendResult> {
      const deployment = await history.getDeploymentState(job.deploymentId);
      if (deployment === undefined) return { result: 'skipped', detail: 'the deployment is no longer in the history' };
      const { rules } = deps.rules.current();
      if (job.kind === 'commit-status') {
        const source = rules.sources.find((s) => s.name === job.name);
        if (!source?.commitStatus || !isCommitStatusHost(source.type))
          return { result: 'skipped', detail: `source "${job.name}" no longer sets commit statuses` };
        return toCommit(source as SourceRule & { type: CommitStatusHost }, job, await newsOf(job, deployment));
      }
      const rule = rules.notifications.find((n) => n.name === job.name);
      if (rule === undefined) return { result: 'skipped', detail: `notification "${job.name}" is no longer in the rules` };
      return { result: 'sent', httpStatus: await toReceiver(rule, await newsOf(job, deployment)) };
    },
  };
}

export type NotifySender = ReturnType<typeof createNotifySender>;
