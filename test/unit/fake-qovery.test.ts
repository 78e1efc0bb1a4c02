import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeQovery, type FakeQovery } from '../fakes/fake-qovery.js';

// The Status shape as read from Qovery's generated clients (see the notes in fake-qovery.ts).
const StatusSchema = z.object({
  id: z.string(),
  state: z.string(),
  service_deployment_status: z.enum(['NEVER_DEPLOYED', 'OUT_OF_DATE', 'UP_TO_DATE']),
  last_deployment_date: z.iso.datetime().optional(),
  is_part_last_deployment: z.boolean(),
  execution_id: z.string().optional(),
  status_details: z.object({ action: z.string(), status: z.string(), sub_action: z.string() }),
  deployment_request_id: z.uuid().nullable(),
  deployment_requests_count: z.number().int(),
});
type Status = z.infer<typeof StatusSchema>;

let fake: FakeQovery;

beforeAll(async () => {
  fake = await startFakeQovery();
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
});

const deploy = (jobId: string, body: unknown = { image_tag: '1.2.3' }, query = '?forceEvent=START', headers = {}) =>
  fetch(`${fake.url}/job/${jobId}/deploy${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const readStatus = async (jobId: string): Promise<Status> => {
  const res = await fetch(`${fake.url}/job/${jobId}/status`);
  expect(res.status).toBe(200);
  return StatusSchema.parse(await res.json());
};

describe('fake Qovery: deploy', () => {
  it('accepts a deploy with 202 and a Status carrying a new deployment request id', async () => {
    const jobId = randomUUID();
    const first = await deploy(jobId);
    expect(first.status).toBe(202);
    const status = StatusSchema.parse(await first.json());
    expect(status).toMatchObject({ id: jobId, state: 'DEPLOYMENT_QUEUED', deployment_requests_count: 1 });
    expect(status.status_details).toEqual({ action: 'DEPLOY', status: 'QUEUED', sub_action: 'NONE' });

    const second = StatusSchema.parse(await (await deploy(jobId, { git_commit_id: 'abc123' })).json());
    expect(second.deployment_request_id).not.toBe(status.deployment_request_id);
    expect(fake.deployments(jobId)).toEqual([status.deployment_request_id, second.deployment_request_id]);
  });

  it('refuses a body with neither or both of image_tag and git_commit_id with 400 {status, detail}', async () => {
    const jobId = randomUUID();
    for (const body of [{}, { image_tag: 'v1', git_commit_id: 'abc' }, '', 'not json']) {
      const res = await deploy(jobId, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ status: 400, detail: expect.any(String) });
    }
    expect(fake.deployments(jobId)).toEqual([]);
  });

  it('refuses an unknown forceEvent with 400, takes a missing one, and maps STOP to a stop', async () => {
    const jobId = randomUUID();
    expect((await deploy(jobId, undefined, '?forceEvent=RESTART')).status).toBe(400);
    expect((await deploy(jobId, undefined, '')).status).toBe(202);
    const stop = StatusSchema.parse(await (await deploy(jobId, undefined, '?forceEvent=STOP')).json());
    expect(stop.state).toBe('STOP_QUEUED');
    expect(stop.status_details.action).toBe('STOP');
  });

  it('answers 404 for a job id that is not a UUID', async () => {
    const res = await deploy('not-a-uuid');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ status: 404 });
  });

  it('plays scripted answers in order, a job script before the "*" one, then accepts again', async () => {
    const jobId = randomUUID();
    const other = randomUUID();
    fake.scriptDeploy(jobId, [
      { kind: 'error', status: 503 },
      { kind: 'error', status: 429, body: 'empty', retryAfter: '7' },
      { kind: 'error', status: 502, body: 'html' },
      { kind: 'error', status: 409, detail: 'a deployment is already running' },
    ]);
    fake.scriptDeploy('*', [{ kind: 'error', status: 500 }]);

    const unavailable = await deploy(jobId);
    expect([unavailable.status, await unavailable.json()]).toEqual([503, { status: 503, detail: 'Service Unavailable' }]);
    const limited = await deploy(jobId);
    expect([limited.status, limited.headers.get('retry-after'), await limited.text()]).toEqual([429, '7', '']);
    const proxy = await deploy(jobId);
    expect(proxy.headers.get('content-type')).toBe('text/html');
    expect(await proxy.text()).toContain('<h1>502 Bad Gateway</h1>');
    expect(await (await deploy(jobId)).json()).toEqual({ status: 409, detail: 'a deployment is already running' });
    expect((await deploy(jobId)).status).toBe(500); // own script used up, so the "*" one answers
    expect((await deploy(jobId)).status).toBe(202);
    expect((await deploy(other)).status).toBe(202);
    expect(fake.deployCalls(jobId)).toHaveLength(6);
  });
});

describe('fake Qovery: status', () => {
  it('reports a never-deployed job as READY with no deployment request', async () => {
    const status = await readStatus(randomUUID());
    expect(status).toMatchObject({
      state: 'READY',
      service_deployment_status: 'NEVER_DEPLOYED',
      deployment_request_id: null,
      deployment_requests_count: 0,
      is_part_last_deployment: false,
    });
    expect(status.last_deployment_date).toBeUndefined();
  });

  it('walks queued, deploying, deployed after a deploy and stays on the last state', async () => {
    const jobId = randomUUID();
    const accepted = StatusSchema.parse(await (await deploy(jobId)).json());
    const states: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const status = await readStatus(jobId);
      expect(status.deployment_request_id).toBe(accepted.deployment_request_id);
      states.push(status.state);
    }
    expect(states).toEqual(['DEPLOYMENT_QUEUED', 'DEPLOYING', 'DEPLOYED', 'DEPLOYED']);
    const done = await readStatus(jobId);
    expect(done).toMatchObject({ service_deployment_status: 'UP_TO_DATE', deployment_requests_count: 0 });
    expect(done.status_details.status).toBe('SUCCESS');
    expect(done.last_deployment_date).toBe(accepted.last_deployment_date);
  });

  it('serves a scripted walk: stale reads, repeated steps, an unknown state and failing reads', async () => {
    const jobId = randomUUID();
    fake.scriptStatus(jobId, [
      { stale: true, reads: 2 },
      { state: 'BRAND_NEW_STATE' },
      { error: 503 },
      { state: 'DEPLOYING', reads: 2 },
      { state: 'DEPLOYMENT_ERROR' },
    ]);
    const firstId = StatusSchema.parse(await (await deploy(jobId)).json()).deployment_request_id;
    for (let i = 0; i < 7; i += 1) await fetch(`${fake.url}/job/${jobId}/status`); // walk to the end
    const secondId = StatusSchema.parse(await (await deploy(jobId)).json()).deployment_request_id;

    const stale = await readStatus(jobId);
    expect(stale).toMatchObject({ state: 'DEPLOYMENT_ERROR', deployment_request_id: firstId });
    expect((await readStatus(jobId)).deployment_request_id).toBe(firstId);
    expect(await readStatus(jobId)).toMatchObject({ state: 'BRAND_NEW_STATE', deployment_request_id: secondId });
    const failing = await fetch(`${fake.url}/job/${jobId}/status`);
    expect([failing.status, await failing.json()]).toEqual([503, { status: 503, detail: 'Service Unavailable' }]);
    const rest = [await readStatus(jobId), await readStatus(jobId), await readStatus(jobId)];
    expect(rest.map((s) => s.state)).toEqual(['DEPLOYING', 'DEPLOYING', 'DEPLOYMENT_ERROR']);
    expect(rest[2]?.status_details.status).toBe('ERROR');
  });
});

describe('fake Qovery: recording, auth and concurrency', () => {
  it('records every request with method, path, query, headers, parsed body and time', async () => {
    const jobId = randomUUID();
    const before = Date.now();
    await deploy(jobId, { image_tag: 'v9' }, '?forceEvent=CRON', { 'x-trace': 'abc' });
    await deploy(jobId, 'plain text');
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: `/job/${jobId}/deploy`,
      query: { forceEvent: 'CRON' },
      headers: expect.objectContaining({ 'x-trace': 'abc' }),
      body: { image_tag: 'v9' },
    });
    expect(fake.requests[0]?.at).toBeGreaterThanOrEqual(before);
    expect(fake.requests[1]?.body).toBe('plain text');
    expect(fake.deployCalls(randomUUID())).toEqual([]);
  });

  it('answers 401 {status, detail} without the token, and takes it as Token or Bearer', async () => {
    const jobId = randomUUID();
    fake.setToken('s3cret');
    for (const authorization of [undefined, 'Token wrong', 's3cret']) {
      const res = await deploy(jobId, undefined, '', authorization ? { authorization } : {});
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ status: 401, detail: expect.any(String) });
    }
    expect((await deploy(jobId, undefined, '', { authorization: 'Token s3cret' })).status).toBe(202);
    expect((await deploy(jobId, undefined, '', { authorization: 'Bearer s3cret' })).status).toBe(202);
    expect(fake.requests).toHaveLength(5);
  });

  it('measures how many deploys of one job were open at once', async () => {
    const [busy, calm] = [randomUUID(), randomUUID()];
    // Long enough that the three calls overlap on a loaded machine too.
    fake.setDeployDelay(300);
    await Promise.all([deploy(busy), deploy(busy), deploy(busy)]);
    await deploy(calm);
    await deploy(calm);
    expect(fake.maxConcurrentDeploys(busy)).toBe(3);
    expect(fake.maxConcurrentDeploys(calm)).toBe(1);
  });
});

describe('fake Qovery: hanging calls', () => {
  it('keeps a hanging deploy open until close() ends it', async () => {
    const own = await startFakeQovery();
    const jobId = randomUUID();
    own.scriptDeploy(jobId, [{ kind: 'hang' }]);
    const pending = fetch(`${own.url}/job/${jobId}/deploy`, {
      method: 'POST',
      body: JSON.stringify({ image_tag: 'v1' }),
    });
    await expect.poll(() => own.deployCalls(jobId).length).toBe(1);
    expect(own.maxConcurrentDeploys(jobId)).toBe(1);
    await own.close();
    await expect(pending).rejects.toThrow();
  });

  it('ends a deploy still waiting out its delay when close() runs', async () => {
    const own = await startFakeQovery();
    const jobId = randomUUID();
    own.setDeployDelay(60_000);
    const pending = fetch(`${own.url}/job/${jobId}/deploy`, {
      method: 'POST',
      body: JSON.stringify({ image_tag: 'v1' }),
    });
    await expect.poll(() => own.deployCalls(jobId).length).toBe(1);
    await own.close();
    await expect(pending).rejects.toThrow();
  });
});

describe('fake Qovery: applications, containers, helm services and the deployment queue', () => {
  const post = (path: string, body: unknown) =>
    fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('takes each kind at its own deploy path, with the body its OpenAPI request schema requires, and 400 without it', async () => {
    const id = randomUUID();
    for (const [path, good, bad] of [
      [`/application/${id}/deploy`, { git_commit_id: 'a'.repeat(40) }, { image_tag: 'v1' }],
      [`/container/${id}/deploy`, { image_tag: 'v1' }, { git_commit_id: 'a'.repeat(40) }],
      [`/helm/${id}/deploy`, { chart_version: '1.2.3' }, { chart_version: '1.2.3', git_commit_id: 'a'.repeat(40) }],
    ] as const) {
      expect((await post(path, bad)).status).toBe(400);
      const accepted = await post(path, good);
      expect(accepted.status).toBe(202);
      StatusSchema.parse(await accepted.json());
    }
    const status = await fetch(`${fake.url}/container/${id}/status`);
    expect(StatusSchema.parse(await status.json()).id).toBe(id);
  });

  it('cancels a deployment request while it is queued (202, no body), and answers 409 once it began or was cancelled', async () => {
    const id = randomUUID();
    fake.scriptStatus(id, [{ state: 'DEPLOYMENT_QUEUED', reads: 2 }, { state: 'DEPLOYING' }]);
    const queued = StatusSchema.parse(await (await post(`/container/${id}/deploy`, { image_tag: 'v1' })).json()).deployment_request_id;
    const cancel = await post(`/deploymentQueue/${queued}/cancelDeployment`, {});
    expect(cancel.status).toBe(202);
    expect(await cancel.text()).toBe('');
    expect((await post(`/deploymentQueue/${queued}/cancelDeployment`, {})).status).toBe(409);

    const begun = StatusSchema.parse(await (await post(`/container/${id}/deploy`, { image_tag: 'v2' })).json()).deployment_request_id;
    for (let i = 0; i < 3; i++) await fetch(`${fake.url}/container/${id}/status`);
    expect((await post(`/deploymentQueue/${begun}/cancelDeployment`, {})).status).toBe(409);
    expect((await post(`/deploymentQueue/${randomUUID()}/cancelDeployment`, {})).status).toBe(404);
    expect(fake.cancelCalls()).toHaveLength(4);
  });
});

describe('fake Qovery: environment releases', () => {
  const post = (path: string, body: unknown) =>
    fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const EnvironmentStatusSchema = z.object({
    id: z.string(),
    state: z.string(),
    last_deployment_state: z.string(),
    deployment_request_id: z.uuid().nullable(),
    deployment_status: z.enum(['NEVER_DEPLOYED', 'UP_TO_DATE', 'OUT_OF_DATE']),
  });

  it('deploys a DeployAllRequest as one request for every listed service, 400 without a required id, and serves EnvironmentStatuses', async () => {
    const [env, container, job] = [randomUUID(), randomUUID(), randomUUID()];
    expect((await post(`/environment/${env}/service/deploy`, { containers: [{ image_tag: 'v1' }] })).status).toBe(400);
    expect((await post(`/environment/${env}/service/deploy`, {})).status).toBe(400);
    const accepted = await post(`/environment/${env}/service/deploy`, {
      containers: [{ id: container, image_tag: 'v1' }],
      jobs: [{ id: job, image_tag: 'v1' }],
    });
    expect(accepted.status).toBe(202);
    const environment = EnvironmentStatusSchema.parse(await accepted.json());
    expect(fake.deployments(container)).toEqual([environment.deployment_request_id]);
    expect(fake.deployments(job)).toEqual([environment.deployment_request_id]);

    const statuses = (await (await fetch(`${fake.url}/environment/${env}/statuses`)).json()) as Record<string, unknown[]>;
    EnvironmentStatusSchema.parse(statuses.environment);
    expect(Object.keys(statuses).sort()).toEqual(['applications', 'containers', 'databases', 'environment', 'helms', 'jobs', 'terraforms']);
    expect(StatusSchema.parse(statuses.containers?.[0]).id).toBe(container);
    expect(StatusSchema.parse(statuses.jobs?.[0]).deployment_request_id).toBe(environment.deployment_request_id);
    expect(fake.releaseCalls(env)).toHaveLength(3);
  });
});
