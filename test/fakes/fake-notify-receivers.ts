/**
 * Fake receivers of the relay's notifications, one real HTTP server for all of them, each
 * answering as the real service does (docs/commit-status-apis.md has the sources):
 * - Slack incoming webhook `POST /slack/<hook>`: JSON with `text`; 200 `ok` (text/plain), 400
 *   `invalid_payload` when the body is not that.
 * - A plain webhook receiver `POST /hook/<name>`: records the body and its headers; 204.
 * - GitHub `POST /github/repos/{owner}/{repo}/statuses/{sha}` (`Authorization: Bearer`, `state` in
 *   error|failure|pending|success, description <= 140): 201 with a status object; 401 `Bad
 *   credentials`; 422 `Validation Failed`.
 * - GitLab `POST /gitlab/api/v4/projects/:id/statuses/:sha` (`PRIVATE-TOKEN`, `:id` the encoded
 *   project path, `state` in pending|running|success|failed|canceled|skipped, `name`): 201 with the
 *   status; 401 `{"message":"401 Unauthorized"}`; 400 `{"message":{"state":[...]}}`.
 * - Gitea/Forgejo `POST /gitea/api/v1/repos/{owner}/{repo}/statuses/{sha}` (`Authorization: token`,
 *   `state` in pending|success|error|failure|warning): 201 with a CommitStatus (`status`, not `state`).
 * - Bitbucket Cloud `POST /bitbucket/2.0/repositories/{workspace}/{slug}/commit/{sha}/statuses/build`
 *   (`Authorization: Bearer`, `state` INPROGRESS|SUCCESSFUL|FAILED|STOPPED, `key` <= 40, `url`
 *   required): 201 with the build status object.
 * A test can make any path answer with other statuses first (`failNext`).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly body: any;
}

/** One commit status as the fake host stored it, in the relay's terms. */
export interface StoredStatus {
  readonly host: 'github' | 'gitlab' | 'gitea' | 'bitbucket';
  readonly repository: string;
  readonly sha: string;
  readonly state: string;
  readonly context: string;
  readonly description?: string;
  readonly targetUrl?: string;
}

export interface FakeNotifyReceivers {
  readonly url: string;
  /** Every request, accepted or refused, in arrival order. */
  readonly requests: ReceivedRequest[];
  readonly statuses: StoredStatus[];
  /** Requests accepted on a path prefix (e.g. `/slack/`). */
  received(prefix: string): ReceivedRequest[];
  /** The next `times` requests whose path starts with `prefix` get `status` (and `Retry-After`, when given). */
  failNext(prefix: string, status: number, times?: number, retryAfterS?: number): void;
  close(): Promise<void>;
}

export const FAKE_GIT_TOKEN = 'git-host-token-for-tests';

type Answer = { status: number; body?: unknown; text?: string };

const json = (res: ServerResponse, answer: Answer) => {
  if (answer.text !== undefined) {
    res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.text);
    return;
  }
  res
    .writeHead(answer.status, answer.body === undefined ? {} : { 'content-type': 'application/json' })
    .end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
};

const SHA = /^[0-9a-f]{7,64}$/;

function github(path: string, headers: IncomingHttpHeaders, body: any, store: (s: StoredStatus) => void): Answer | undefined {
  const m = /^\/github\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  if (headers.authorization !== `Bearer ${FAKE_GIT_TOKEN}`)
    return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
  const invalid = (field: string, message: string) => ({
    status: 422,
    body: { message: 'Validation Failed', errors: [{ resource: 'Status', field, code: 'custom', message }] },
  });
  if (!['error', 'failure', 'pending', 'success'].includes(body?.state)) return invalid('state', 'state is not included in the list');
  if (typeof body.description === 'string' && body.description.length > 140)
    return invalid('description', 'description is too long (maximum is 140 characters)');
  if (!SHA.test(m[3]!)) return { status: 422, body: { message: `No commit found for SHA: ${m[3]}` } };
  const repository = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
  store({
    host: 'github',
    repository,
    sha: m[3]!,
    state: body.state,
    context: body.context ?? 'default',
    description: body.description,
    targetUrl: body.target_url,
  });
  return {
    status: 201,
    body: {
      id: 1,
      state: body.state,
      context: body.context ?? 'default',
      description: body.description ?? null,
      target_url: body.target_url ?? null,
      created_at: new Date().toISOString(),
    },
  };
}

function gitlab(path: string, headers: IncomingHttpHeaders, body: any, store: (s: StoredStatus) => void): Answer | undefined {
  // The project id is one encoded segment: `group%2Fname`; an unencoded path matches no route.
  const m = /^\/gitlab\/api\/v4\/projects\/([^/]+)\/statuses\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  if (headers['private-token'] !== FAKE_GIT_TOKEN) return { status: 401, body: { message: '401 Unauthorized' } };
  if (!['pending', 'running', 'success', 'failed', 'canceled', 'skipped'].includes(body?.state))
    return { status: 400, body: { message: { state: ['does not have a valid value'] } } };
  const name = body.name ?? body.context ?? 'default';
  store({
    host: 'gitlab',
    repository: decodeURIComponent(m[1]!),
    sha: m[2]!,
    state: body.state,
    context: name,
    description: body.description,
    targetUrl: body.target_url,
  });
  return {
    status: 201,
    body: { id: 93, sha: m[2], ref: 'main', status: body.state, name, target_url: body.target_url ?? null, description: body.description ?? null },
  };
}

function gitea(path: string, headers: IncomingHttpHeaders, body: any, store: (s: StoredStatus) => void): Answer | undefined {
  const m = /^\/gitea\/api\/v1\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  if (headers.authorization !== `token ${FAKE_GIT_TOKEN}`)
    return { status: 401, body: { message: 'token is required', url: 'https://gitea.example/api/swagger' } };
  if (!['pending', 'success', 'error', 'failure', 'warning'].includes(body?.state)) return { status: 422, body: { message: 'invalid state', url: '' } };
  store({
    host: 'gitea',
    repository: `${m[1]}/${m[2]}`,
    sha: m[3]!,
    state: body.state,
    context: body.context ?? '',
    description: body.description,
    targetUrl: body.target_url,
  });
  return {
    status: 201,
    body: {
      id: 7,
      status: body.state,
      context: body.context,
      description: body.description,
      target_url: body.target_url,
      created_at: new Date().toISOString(),
    },
  };
}

function bitbucket(path: string, headers: IncomingHttpHeaders, body: any, store: (s: StoredStatus) => void): Answer | undefined {
  const m = /^\/bitbucket\/2\.0\/repositories\/([^/]+)\/([^/]+)\/commit\/([^/]+)\/statuses\/build$/.exec(path);
  if (!m) return undefined;
  if (headers.authorization !== `Bearer ${FAKE_GIT_TOKEN}`) return { status: 401, body: { type: 'error', error: { message: 'Unauthorized' } } };
  const fault = (message: string) => ({ status: 400, body: { type: 'error', error: { message } } });
  if (!['INPROGRESS', 'SUCCESSFUL', 'FAILED', 'STOPPED'].includes(body?.state)) return fault('state: invalid value');
  if (typeof body.key !== 'string' || body.key.length === 0 || body.key.length > 40) return fault('key: required, at most 40 characters');
  if (typeof body.url !== 'string') return fault('url: required');
  store({
    host: 'bitbucket',
    repository: `${m[1]}/${m[2]}`,
    sha: m[3]!,
    state: body.state,
    context: body.key,
    description: body.description,
    targetUrl: body.url,
  });
  return { status: 201, body: { type: 'build', key: body.key, state: body.state, url: body.url, name: body.name, description: body.description } };
}

const HOSTS = [github, gitlab, gitea, bitbucket];

export async function startFakeNotifyReceivers(): Promise<FakeNotifyReceivers> {
  const requests: ReceivedRequest[] = [];
  const statuses: StoredStatus[] = [];
  const accepted = new Set<ReceivedRequest>();
  const failures: Array<{ prefix: string; status: number; left: number; retryAfterS?: number | undefined }> = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const path = (req.url ?? '/').split('?')[0]!;
      const request: ReceivedRequest = { path, headers: req.headers, raw, body };
      requests.push(request);
      const failure = failures.find((f) => f.left > 0 && path.startsWith(f.prefix));
      if (failure) {
        failure.left -= 1;
        res.writeHead(failure.status, failure.retryAfterS === undefined ? {} : { 'retry-after': String(failure.retryAfterS) }).end('upstream trouble');
        return;
      }
      if (req.method !== 'POST') return json(res, { status: 405 });
      let answer: Answer | undefined;
      if (path.startsWith('/slack/')) {
        answer =
          typeof (body as { text?: unknown })?.text === 'string' && (body as { text: string }).text.length > 0
            ? { status: 200, text: 'ok' }
            : { status: 400, text: 'invalid_payload' };
      } else if (path.startsWith('/hook/')) {
        answer = { status: 204 };
      } else {
        for (const host of HOSTS) answer ??= host(path, req.headers, body, (s) => statuses.push(s));
      }
      answer ??= { status: 404, body: { message: 'Not Found' } };
      if (answer.status < 300) accepted.add(request);
      json(res, answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake receivers did not get a port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    statuses,
    received: (prefix) => requests.filter((r) => accepted.has(r) && r.path.startsWith(prefix)),
    failNext(prefix, status, times = 1, retryAfterS) {
      failures.push({ prefix, status, left: times, retryAfterS });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
