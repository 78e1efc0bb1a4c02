import { describe, expect, it } from 'vitest';
import { describeDeployCall } from '../../../src/qovery/dry-run.js';
import { deployRequestOf, laneOf, statusPathOf } from '../../../src/qovery/targets.js';

const ID = '00000000-0000-4000-8000-0000000000a1';
const COMMIT = '9fceb02d0ae598e95dc970b74767f19372d61af8';

describe('the deploy call of each Qovery service kind (Qovery OpenAPI spec)', () => {
  it('a job takes image_tag or git_commit_id, and forceEvent as a query parameter', () => {
    expect(deployRequestOf({ target: { kind: 'job', id: ID }, imageTag: 'v1', forceEvent: 'CRON' })).toEqual({
      path: `/job/${ID}/deploy?forceEvent=CRON`,
      body: { image_tag: 'v1' },
    });
    expect(deployRequestOf({ target: { kind: 'job', id: ID }, gitCommitId: COMMIT }).body).toEqual({ git_commit_id: COMMIT });
  });

  it('an application takes git_commit_id (DeployRequest), a container image_tag (ContainerDeployRequest)', () => {
    expect(deployRequestOf({ target: { kind: 'application', id: ID }, gitCommitId: COMMIT })).toEqual({
      path: `/application/${ID}/deploy`,
      body: { git_commit_id: COMMIT },
    });
    expect(deployRequestOf({ target: { kind: 'container', id: ID }, imageTag: '2.0.1' })).toEqual({
      path: `/container/${ID}/deploy`,
      body: { image_tag: '2.0.1' },
    });
  });

  it('a helm service takes chart_version for a tag and git_commit_id for a commit (HelmDeployRequest)', () => {
    expect(deployRequestOf({ target: { kind: 'helm', id: ID }, imageTag: '1.4.2' })).toEqual({ path: `/helm/${ID}/deploy`, body: { chart_version: '1.4.2' } });
    expect(deployRequestOf({ target: { kind: 'helm', id: ID }, gitCommitId: COMMIT }).body).toEqual({ git_commit_id: COMMIT });
  });

  it('reads each kind at its own status endpoint, and keeps a job lane as the bare job id stored lanes use', () => {
    expect(statusPathOf({ kind: 'container', id: ID })).toBe(`/container/${ID}/status`);
    expect(laneOf({ kind: 'job', id: ID })).toBe(ID);
    expect(laneOf({ kind: 'helm', id: ID })).toBe(`helm:${ID}`);
  });

  it('the dry run records the call it would have made', () => {
    expect(describeDeployCall({ target: { kind: 'application', id: ID }, gitCommitId: COMMIT })).toBe(
      `POST /application/${ID}/deploy {"git_commit_id":"${COMMIT}"}`,
    );
  });
});
