import { randomUUID } from 'node:crypto';

/** Small vendor-shaped bodies for tests that vary one field at a time. */
export function githubPush(options: { repository: string; branch: string; commit: string; timestamp?: string; delivery?: string; files?: string[] }) {
  return {
    headers: { 'x-github-event': 'push', 'x-github-delivery': options.delivery ?? randomUUID() },
    body: {
      ref: `refs/heads/${options.branch}`,
      before: '0'.repeat(39) + '1',
      after: options.commit,
      deleted: false,
      repository: { full_name: options.repository, name: options.repository.split('/')[1] },
      head_commit: {
        id: options.commit,
        timestamp: options.timestamp ?? new Date().toISOString(),
        message: 'change',
        added: [],
        removed: [],
        modified: options.files ?? ['README.md'],
      },
      commits: [{ id: options.commit, added: [], removed: [], modified: options.files ?? ['README.md'] }],
    },
  };
}

export function githubTagPush(options: { repository: string; tag: string; commit: string; delivery?: string }) {
  const push = githubPush({ repository: options.repository, branch: 'x', commit: options.commit, ...(options.delivery && { delivery: options.delivery }) });
  return { headers: push.headers, body: { ...push.body, ref: `refs/tags/${options.tag}`, after: 'f'.repeat(40) } };
}

export function dockerHubPush(options: { repository: string; tag: string; pushedAt?: number }) {
  return {
    callback_url: `https://registry.hub.docker.com/u/${options.repository}/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/`,
    push_data: { pushed_at: options.pushedAt ?? Math.floor(Date.now() / 1000), pusher: 'trustedbuilder', tag: options.tag },
    repository: { repo_name: options.repository, namespace: options.repository.split('/')[0], name: options.repository.split('/')[1], status: 'Active' },
  };
}
