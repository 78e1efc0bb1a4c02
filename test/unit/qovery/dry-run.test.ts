import { describe, expect, it } from 'vitest';
import { createDryRunQoveryClient, describeDeployCall } from '../../../src/qovery/dry-run.js';

const JOB = '00000000-0000-4000-8000-000000000001';
const COMMIT = '9fceb02d0ae598e95dc970b74767f19372d61af8';

describe('the dry-run Qovery client', () => {
  it('answers a deploy as accepted, saying which request it would have sent', async () => {
    const result = await createDryRunQoveryClient().deploy({ target: { kind: 'job', id: JOB }, gitCommitId: COMMIT });
    expect(result).toMatchObject({
      ok: true,
      httpStatus: 202,
      dryRun: true,
      detail: `dry-run: would POST /job/${JOB}/deploy {"git_commit_id":"${COMMIT}"}`,
      status: { id: JOB, state: 'DEPLOYMENT_QUEUED' },
    });
  });

  it('names the force event and the image tag as the live client would send them', () => {
    expect(describeDeployCall({ target: { kind: 'job', id: JOB }, forceEvent: 'CRON', imageTag: 'v1.2.3' })).toBe(
      `POST /job/${JOB}/deploy?forceEvent=CRON {"image_tag":"v1.2.3"}`,
    );
  });

  it("reports the job at the end its last deploy asked for, under that deploy's request id", async () => {
    const client = createDryRunQoveryClient();
    const deploy = await client.deploy({ target: { kind: 'job', id: JOB }, imageTag: 'v1', forceEvent: 'STOP' });
    const status = await client.getStatus({ kind: 'job', id: JOB });
    expect(deploy.ok && status.ok).toBe(true);
    if (!deploy.ok || !status.ok) return;
    expect(status.status).toMatchObject({ state: 'STOPPED', deployment_request_id: deploy.status?.deployment_request_id });
  });

  it('answers a release as accepted with the DeployAllRequest it would send, and every released service deployed under its request id', async () => {
    const client = createDryRunQoveryClient();
    const release = { kind: 'environment' as const, id: JOB.replace(/1$/, 'e'), services: [{ kind: 'container' as const, id: JOB.replace(/1$/, 'c') }] };
    const deploy = await client.deployRelease({ target: release, imageTag: 'v2' });
    expect(deploy).toMatchObject({
      ok: true,
      dryRun: true,
      detail: `dry-run: would POST /environment/${release.id}/service/deploy {"containers":[{"id":"${release.services[0]?.id}","image_tag":"v2"}]}`,
    });
    const statuses = await client.getEnvironmentStatuses(release.id);
    if (!deploy.ok || !statuses.ok) throw new Error('the dry run refused');
    expect(statuses.services).toEqual([
      expect.objectContaining({ id: release.services[0]?.id, state: 'DEPLOYED', deployment_request_id: deploy.status?.deployment_request_id }),
    ]);
  });
});
