import { describe, expect, it } from 'vitest';
import { decodeDeployment } from '../../../src/history/codec.js';

const JOB = '00000000-0000-4000-8000-000000000001';

describe('decoding stored deployments', () => {
  it('reads a deployment stored before other kinds than jobs existed as a job target on its job lane', () => {
    const stored = {
      id: 'dep_1',
      deliveryId: 'd1',
      route: 'api',
      source: 'github',
      jobId: JOB,
      status: 'queued',
      attempts: '0',
      createdAt: '2026-11-20T10:00:00.000Z',
      updatedAt: '2026-11-20T10:00:00.000Z',
      order: '1',
      allowDowngrade: '0',
    };
    expect(decodeDeployment(stored, [])).toMatchObject({ targetKind: 'job', targetId: JOB, jobId: JOB, lanes: JOB, target: { kind: 'job', id: JOB } });
  });
});
