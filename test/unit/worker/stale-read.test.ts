import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../src/history/model.js';
import type { QoveryStatus } from '../../../src/qovery/client.js';
import { deployAlreadyHappened } from '../../../src/worker/deploy-phase.js';
import { isStaleRead, startedAfterUs } from '../../../src/worker/follow-phase.js';

const GRACE_MS = 60_000;
const ACCEPTED_AT = '2026-11-20T10:00:00.000Z';
const JOB_ID = '00000000-0000-4000-8000-000000000001';

function deployment(fields: Partial<Deployment> = {}): Deployment {
  return {
    id: 'dep_1',
    deliveryId: 'dlv_1',
    route: 'api-main',
    source: 'github',
    targetKind: 'job',
    targetId: JOB_ID,
    jobId: JOB_ID,
    lanes: JOB_ID,
    target: { kind: 'job', id: JOB_ID },
    status: 'accepted',
    attempts: 1,
    createdAt: ACCEPTED_AT,
    updatedAt: ACCEPTED_AT,
    order: 1,
    allowDowngrade: false,
    acceptedAt: ACCEPTED_AT,
    transitions: [],
    ...fields,
  };
}

function status(fields: Partial<QoveryStatus> = {}): QoveryStatus {
  return { id: JOB_ID, state: 'DEPLOYED', ...fields };
}

/** An ISO time `ms` after (or before, when negative) the acceptance. */
const at = (ms: number) => new Date(Date.parse(ACCEPTED_AT) + ms).toISOString();

describe('isStaleRead', () => {
  it('with both request ids, a read of another request is stale', () => {
    expect(isStaleRead(deployment({ deploymentRequestId: 'req-2' }), status({ deployment_request_id: 'req-1' }), 1000, GRACE_MS)).toBe(true);
  });

  it('with both request ids, a read of our request is ours, terminal or not', () => {
    const d = deployment({ deploymentRequestId: 'req-2' });
    expect(isStaleRead(d, status({ deployment_request_id: 'req-2' }), 1000, GRACE_MS)).toBe(false);
    expect(isStaleRead(d, status({ deployment_request_id: 'req-2', state: 'DEPLOYING' }), 1000, GRACE_MS)).toBe(false);
  });

  it('with both request ids, a different id stays stale even after the grace period', () => {
    expect(isStaleRead(deployment({ deploymentRequestId: 'req-2' }), status({ deployment_request_id: 'req-1' }), 10 * GRACE_MS, GRACE_MS)).toBe(true);
  });

  it('without ids, a terminal state before the state ever left terminal is the previous deployment, within the grace period', () => {
    expect(isStaleRead(deployment(), status({ state: 'DEPLOYED' }), 1000, GRACE_MS)).toBe(true);
    expect(isStaleRead(deployment(), status({ state: 'DEPLOYMENT_ERROR', deployment_request_id: null }), 1000, GRACE_MS)).toBe(true);
  });

  it("without our id, Qovery's id alone does not decide", () => {
    expect(isStaleRead(deployment(), status({ deployment_request_id: 'req-9' }), 1000, GRACE_MS)).toBe(true);
  });

  it('without ids, a terminal state is believed once the grace period has passed', () => {
    expect(isStaleRead(deployment(), status(), GRACE_MS + 1, GRACE_MS)).toBe(false);
  });

  it('without ids, a terminal state is ours once Qovery has shown a non-terminal state', () => {
    expect(isStaleRead(deployment({ leftTerminal: true }), status(), 1000, GRACE_MS)).toBe(false);
  });

  it('a non-terminal state is never stale', () => {
    expect(isStaleRead(deployment(), status({ state: 'DEPLOYING' }), 1000, GRACE_MS)).toBe(false);
  });

  it('without ids, a last_deployment_date after the acceptance makes the terminal read ours', () => {
    expect(isStaleRead(deployment(), status({ last_deployment_date: at(30_000) }), 1000, GRACE_MS)).toBe(false);
  });

  it('tolerates a few seconds of clock skew on last_deployment_date', () => {
    expect(isStaleRead(deployment(), status({ last_deployment_date: at(-3_000) }), 1000, GRACE_MS)).toBe(false);
  });

  it('without ids, a last_deployment_date well before the acceptance is the previous deployment', () => {
    expect(isStaleRead(deployment(), status({ last_deployment_date: at(-3_600_000) }), 1000, GRACE_MS)).toBe(true);
  });
});

describe('deployAlreadyHappened', () => {
  const intentAt = ACCEPTED_AT;

  it('is true when the request id changed and the deployment is dated after the intent', () => {
    expect(deployAlreadyHappened(status({ deployment_request_id: 'req-2', last_deployment_date: at(2_000) }), { dispatchedRequestId: 'req-1' }, intentAt)).toBe(
      true,
    );
  });

  it('is true when the request id changed and Qovery gives no date', () => {
    expect(deployAlreadyHappened(status({ deployment_request_id: 'req-2' }), { dispatchedRequestId: 'req-1' }, intentAt)).toBe(true);
  });

  it('is true for the first deploy of a job, when the relay never saw a request id', () => {
    expect(deployAlreadyHappened(status({ deployment_request_id: 'req-1', last_deployment_date: at(2_000) }), {}, intentAt)).toBe(true);
  });

  it('is false when the request id is the one the relay last dispatched', () => {
    expect(deployAlreadyHappened(status({ deployment_request_id: 'req-1', last_deployment_date: at(2_000) }), { dispatchedRequestId: 'req-1' }, intentAt)).toBe(
      false,
    );
  });

  it('is false when the request id changed but the deployment is older than the intent (someone else deployed before)', () => {
    expect(
      deployAlreadyHappened(status({ deployment_request_id: 'req-2', last_deployment_date: at(-600_000) }), { dispatchedRequestId: 'req-1' }, intentAt),
    ).toBe(false);
  });

  it('without a request id, is false when the deployment is dated before the intent', () => {
    expect(deployAlreadyHappened(status({ last_deployment_date: at(-600_000) }), {}, intentAt)).toBe(false);
  });

  it('without a request id, is true when the deployment is dated after the intent', () => {
    expect(deployAlreadyHappened(status({ deployment_request_id: null, last_deployment_date: at(1_000) }), {}, intentAt)).toBe(true);
  });

  it('without a request id or a date, is false: nothing shows the call arrived', () => {
    expect(deployAlreadyHappened(status(), { dispatchedRequestId: 'req-1' }, intentAt)).toBe(false);
  });

  it('without a recorded intent, a dated status cannot be placed after it', () => {
    expect(deployAlreadyHappened(status({ last_deployment_date: at(1_000) }), {}, undefined)).toBe(false);
  });
});

describe('startedAfterUs', () => {
  const ours = deployment({ deploymentRequestId: 'req-ours' });
  it('is true for another request dated well after ours was accepted (a deploy from the console)', () => {
    expect(startedAfterUs(ours, status({ deployment_request_id: 'req-other', last_deployment_date: at(60_000) }))).toBe(true);
  });
  it('is false for our own request, for another one dated before ours, within clock skew, or undated', () => {
    expect(startedAfterUs(ours, status({ deployment_request_id: 'req-ours', last_deployment_date: at(60_000) }))).toBe(false);
    expect(startedAfterUs(ours, status({ deployment_request_id: 'req-old', last_deployment_date: at(-60_000) }))).toBe(false);
    expect(startedAfterUs(ours, status({ deployment_request_id: 'req-other', last_deployment_date: at(2_000) }))).toBe(false);
    expect(startedAfterUs(ours, status({ deployment_request_id: 'req-other' }))).toBe(false);
  });
});
