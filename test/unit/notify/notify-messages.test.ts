import { describe, expect, it } from 'vitest';
import type { DeploymentState } from '../../../src/history/model.js';
import { commitStatusRequest } from '../../../src/notify/commit-status.js';
import { commitDescription, slackMessage, webhookPayload, type DeploymentNews } from '../../../src/notify/messages.js';
import { commitOutcomeOf, notificationsFor } from '../../../src/notify/plan.js';
import { NotifyRequestError } from '../../../src/notify/send.js';
import { notifyRetryDelay } from '../../../src/notify/worker.js';

const SHA = 'a'.repeat(40);
const call = {
  apiUrl: 'https://git.example.com/api/',
  token: 'tok',
  repository: 'group/sub/api',
  sha: SHA,
  context: 'deploy-relay/api',
  description: 'd'.repeat(300),
  targetUrl: 'https://relay/#/deployments/x',
};

describe('commit status requests', () => {
  it('GitHub: Bearer token, owner/repo segments, error for a stopped deploy, description cut to 140', () => {
    const request = commitStatusRequest('github', { ...call, repository: 'acme/api', outcome: 'stopped' });
    expect(request.url).toBe(`https://git.example.com/api/repos/acme/api/statuses/${SHA}`);
    expect(request.headers).toMatchObject({ authorization: 'Bearer tok', accept: 'application/vnd.github+json', 'content-type': 'application/json' });
    expect(JSON.parse(request.body)).toEqual({ state: 'error', context: 'deploy-relay/api', description: 'd'.repeat(140), target_url: call.targetUrl });
  });

  it('GitLab: PRIVATE-TOKEN, the project path as one encoded segment, its own state names', () => {
    const request = commitStatusRequest('gitlab', { ...call, outcome: 'failure' });
    expect(request.url).toBe(`https://git.example.com/api/projects/group%2Fsub%2Fapi/statuses/${SHA}`);
    expect(request.headers['private-token']).toBe('tok');
    expect(JSON.parse(request.body)).toMatchObject({ state: 'failed', name: 'deploy-relay/api' });
  });

  it('Gitea: `token` authorization; Bitbucket: upper-case states, a key of at most 40 and a url always', () => {
    expect(commitStatusRequest('gitea', { ...call, repository: 'acme/api', outcome: 'success' }).headers.authorization).toBe('token tok');
    const bitbucket = commitStatusRequest('bitbucket', {
      ...call,
      repository: 'ws/api',
      outcome: 'pending',
      context: `deploy-relay/${'r'.repeat(60)}`,
      targetUrl: undefined as never,
    });
    const body = JSON.parse(bitbucket.body);
    expect(bitbucket.url).toBe(`https://git.example.com/api/repositories/ws/api/commit/${SHA}/statuses/build`);
    expect(body.state).toBe('INPROGRESS');
    expect(body.key).toHaveLength(40);
    expect(body.url).toBe(`https://bitbucket.org/ws/api/commits/${SHA}`);
  });
});

describe('what is sent for which event', () => {
  it('maps statuses to commit outcomes: nothing for what never reached Qovery', () => {
    expect(commitOutcomeOf('accepted', 'deploying')).toBe('pending');
    expect(commitOutcomeOf('accepted', 'accepted')).toBeUndefined();
    expect(commitOutcomeOf('succeeded', 'in_progress')).toBe('success');
    expect(commitOutcomeOf('timed_out', 'in_progress')).toBe('failure');
    expect(commitOutcomeOf('superseded', 'in_progress')).toBe('stopped');
    expect(commitOutcomeOf('superseded', 'queued')).toBeUndefined();
    expect(commitOutcomeOf('ignored', 'queued')).toBeUndefined();
    expect(commitOutcomeOf('queued', undefined)).toBeUndefined();
  });

  it('picks the notifications whose statuses and routes match, and the source commit status', () => {
    const rules = {
      sources: [
        { name: 'gh', type: 'github', commitStatus: { token: 't' } },
        { name: 'hub', type: 'dockerhub' },
      ],
      notifications: [
        { name: 'all', on: ['succeeded', 'failed'], slack: { url: 'https://s' } },
        { name: 'api-only', on: ['succeeded'], routes: ['api'], webhook: { url: 'https://w', secret: 'x'.repeat(16) } },
      ],
    } as never;
    expect(notificationsFor({ status: 'succeeded', previous: 'in_progress' }, { route: 'api', source: 'gh' }, rules)).toEqual([
      { kind: 'slack', name: 'all' },
      { kind: 'webhook', name: 'api-only' },
      { kind: 'commit-status', name: 'gh' },
    ]);
    expect(notificationsFor({ status: 'succeeded' }, { route: 'web', source: 'hub' }, rules)).toEqual([{ kind: 'slack', name: 'all' }]);
    expect(notificationsFor({ status: 'ignored', previous: 'queued' }, { route: 'api', source: 'gh' }, rules)).toEqual([]);
  });
});

const deployment = {
  id: 'dep_1',
  route: 'api <main>',
  source: 'gh',
  targetKind: 'job',
  targetId: 'job-1',
  status: 'failed',
  reason: 'Qovery said <b>no</b> & gave up',
  gitCommitId: SHA,
} as DeploymentState;
const news: DeploymentNews = {
  eventId: '1-0',
  status: 'failed',
  previous: 'in_progress',
  at: 'now',
  deployment,
  version: 'v2',
  previousVersion: 'v1',
  url: 'https://relay/#/deployments/dep_1',
};

describe('messages', () => {
  it('Slack: one readable message with versions and link, and what the relay did not write escaped', () => {
    expect(slackMessage(news).text).toBe(
      [
        ':x: *failed*: route `api &lt;main&gt;` to job `job-1` `v1` → `v2`',
        '> Qovery said &lt;b&gt;no&lt;/b&gt; &amp; gave up',
        '<https://relay/#/deployments/dep_1|Open deployment dep_1>',
      ].join('\n'),
    );
    expect(slackMessage({ ...news, previousVersion: 'v2', url: undefined as never }).text).toContain('`v2`\n> ');
  });

  it('webhook: the event with the deployment, nothing else of the history', () => {
    expect(webhookPayload(news, 'audit')).toEqual({
      eventId: '1-0',
      notification: 'audit',
      event: { type: 'deployment', id: 'dep_1', status: 'failed', previous: 'in_progress', at: 'now' },
      deployment: {
        id: 'dep_1',
        route: 'api <main>',
        source: 'gh',
        target: { kind: 'job', id: 'job-1' },
        status: 'failed',
        gitCommitId: SHA,
        reason: deployment.reason,
      },
      version: 'v2',
      previousVersion: 'v1',
      url: news.url,
    });
  });

  it('commit descriptions say what happened', () => {
    expect(commitDescription('pending', news)).toBe('Qovery is deploying v2 to job job-1');
    expect(commitDescription('failure', news)).toBe(`Failed: ${deployment.reason}`);
    expect(commitDescription('failure', { ...news, status: 'timed_out' })).toMatch(/^Timed out/);
  });
});

describe('retry delay', () => {
  const policy = { maxAttempts: 8, baseMs: 1_000, maxMs: 60_000 };
  it('doubles from the base to the cap, and takes a Retry-After within the cap', () => {
    expect([1, 2, 3, 10].map((n) => notifyRetryDelay(n, new Error('x'), policy))).toEqual([1_000, 2_000, 4_000, 60_000]);
    expect(notifyRetryDelay(1, new NotifyRequestError('429', true, 429, 30_000), policy)).toBe(30_000);
    expect(notifyRetryDelay(1, new NotifyRequestError('429', true, 429, 3_600_000), policy)).toBe(60_000);
  });
});
