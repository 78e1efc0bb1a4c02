/**
 * Commit statuses on the git hosts the relay takes pushes from, one entry per source type: where
 * the status is posted, how the token is sent and how each outcome is spelled there (researched in
 * docs/commit-status-apis.md). The rules schema, the sender and the fake hosts in the tests read
 * this table.
 */

/** What the relay reports: the deploy was accepted (pending), or how it ended. */
export type CommitOutcome = 'pending' | 'success' | 'failure' | 'stopped';

export interface CommitStatusCall {
  readonly apiUrl: string;
  readonly token: string;
  /** `owner/name` (GitLab: the project path, `group/sub/name`). */
  readonly repository: string;
  readonly sha: string;
  readonly outcome: CommitOutcome;
  /** `deploy-relay/<route>`. */
  readonly context: string;
  readonly description: string;
  readonly targetUrl?: string;
}

interface HostSpec {
  /** The public API, when the host has one; a self-hosted instance sets `commitStatus.apiUrl`. */
  readonly defaultApiUrl?: string;
  readonly request: (call: CommitStatusCall) => { path: string; headers: Record<string, string>; body: Record<string, string> };
}

const segments = (repository: string): string => repository.split('/').map(encodeURIComponent).join('/');

export const COMMIT_STATUS_HOSTS = {
  github: {
    defaultApiUrl: 'https://api.github.com',
    request: (call) => ({
      path: `/repos/${segments(call.repository)}/statuses/${call.sha}`,
      headers: { authorization: `Bearer ${call.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
      body: {
        state: ({ pending: 'pending', success: 'success', failure: 'failure', stopped: 'error' } as const)[call.outcome],
        context: call.context,
        // GitHub refuses a longer description with 422.
        description: call.description.slice(0, 140),
        ...(call.targetUrl !== undefined && { target_url: call.targetUrl }),
      },
    }),
  },
  gitlab: {
    defaultApiUrl: 'https://gitlab.com/api/v4',
    request: (call) => ({
      path: `/projects/${encodeURIComponent(call.repository)}/statuses/${call.sha}`,
      headers: { 'private-token': call.token },
      body: {
        state: ({ pending: 'pending', success: 'success', failure: 'failed', stopped: 'canceled' } as const)[call.outcome],
        name: call.context,
        description: call.description.slice(0, 255),
        ...(call.targetUrl !== undefined && { target_url: call.targetUrl.slice(0, 255) }),
      },
    }),
  },
  // Gitea and Forgejo share the API; there is no public instance to default to.
  gitea: {
    request: (call) => ({
      path: `/repos/${segments(call.repository)}/statuses/${call.sha}`,
      headers: { authorization: `token ${call.token}` },
      body: {
        state: ({ pending: 'pending', success: 'success', failure: 'failure', stopped: 'error' } as const)[call.outcome],
        context: call.context,
        description: call.description,
        ...(call.targetUrl !== undefined && { target_url: call.targetUrl }),
      },
    }),
  },
  bitbucket: {
    defaultApiUrl: 'https://api.bitbucket.org/2.0',
    request: (call) => ({
      path: `/repositories/${segments(call.repository)}/commit/${call.sha}/statuses/build`,
      headers: { authorization: `Bearer ${call.token}` },
      body: {
        state: ({ pending: 'INPROGRESS', success: 'SUCCESSFUL', failure: 'FAILED', stopped: 'STOPPED' } as const)[call.outcome],
        // Bitbucket's key is at most 40 characters and names the status it overwrites.
        key: call.context.slice(0, 40),
        name: call.context,
        description: call.description,
        // Every example Bitbucket gives sends a url; without the dashboard's, the commit's own page.
        url: call.targetUrl ?? `https://bitbucket.org/${call.repository}/commits/${call.sha}`,
      },
    }),
  },
} as const satisfies Record<string, HostSpec>;

export type CommitStatusHost = keyof typeof COMMIT_STATUS_HOSTS;
export const COMMIT_STATUS_HOST_TYPES = Object.keys(COMMIT_STATUS_HOSTS) as [CommitStatusHost, ...CommitStatusHost[]];

export const isCommitStatusHost = (type: string): type is CommitStatusHost => type in COMMIT_STATUS_HOSTS;

/** The request for one status: method POST, JSON body, on `apiUrl`. */
export function commitStatusRequest(host: CommitStatusHost, call: CommitStatusCall): { url: string; headers: Record<string, string>; body: string } {
  const { path, headers, body } = COMMIT_STATUS_HOSTS[host].request(call);
  return { url: `${call.apiUrl.replace(/\/+$/, '')}${path}`, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export const defaultApiUrlOf = (host: CommitStatusHost): string | undefined => (COMMIT_STATUS_HOSTS[host] as HostSpec).defaultApiUrl;
