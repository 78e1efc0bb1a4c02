import { describe, expect, it } from 'vitest';
import { classifyState, isTerminalState } from '../../../src/worker/qovery-states.js';

describe('classifyState', () => {
  it.each([undefined, 'START', 'CRON'])('DEPLOYED is success for a deploy with forceEvent %s', (forceEvent) => {
    expect(classifyState('DEPLOYED', forceEvent)).toEqual({ kind: 'succeeded' });
  });

  it('RESTARTED is success for a deploy', () => {
    expect(classifyState('RESTARTED', undefined)).toEqual({ kind: 'succeeded' });
  });

  it('STOPPED is success when the route asked for STOP', () => {
    expect(classifyState('STOPPED', 'STOP')).toEqual({ kind: 'succeeded' });
  });

  it('DELETED is success when the route asked for DELETE', () => {
    expect(classifyState('DELETED', 'DELETE')).toEqual({ kind: 'succeeded' });
  });

  it.each(['DEPLOYMENT_ERROR', 'BUILD_ERROR', 'STOP_ERROR', 'DELETE_ERROR'])('%s is a failure naming the state', (state) => {
    expect(classifyState(state, undefined)).toEqual({ kind: 'failed', reason: `Qovery reported ${state}` });
  });

  it('an error state fails even for a force event', () => {
    expect(classifyState('DEPLOYMENT_ERROR', 'STOP')).toMatchObject({ kind: 'failed' });
  });

  it('CANCELED on a deploy is a failure saying it was cancelled', () => {
    expect(classifyState('CANCELED', undefined)).toEqual({ kind: 'failed', reason: 'Qovery reported CANCELED: the deployment was cancelled' });
  });

  it('an end other than the one asked for is a failure naming both', () => {
    expect(classifyState('STOPPED', undefined)).toEqual({ kind: 'failed', reason: 'Qovery reported STOPPED, which is not the end asked for (deploy)' });
    expect(classifyState('DEPLOYED', 'STOP')).toEqual({ kind: 'failed', reason: 'Qovery reported DEPLOYED, which is not the end asked for (STOP)' });
    expect(classifyState('DELETED', 'START')).toMatchObject({ kind: 'failed' });
  });

  it.each(['DEPLOYING', 'BUILDING', 'QUEUED', 'DEPLOYMENT_QUEUED', 'WAITING_RUNNING', 'EXECUTING', 'STOPPING', 'DELETE_QUEUED', 'WAITING_DELETING'])(
    '%s is in progress',
    (state) => {
      expect(classifyState(state, undefined)).toEqual({ kind: 'in_progress' });
    },
  );

  it.each(['FOO_BAR', 'READY', 'RUNNING_OK', ''])('%j is unknown, neither an end nor known progress', (state) => {
    expect(classifyState(state, undefined)).toEqual({ kind: 'unknown' });
  });

  it('reads states case-insensitively', () => {
    expect(classifyState('deployed', undefined)).toEqual({ kind: 'succeeded' });
    expect(classifyState('build_error', undefined)).toEqual({ kind: 'failed', reason: 'Qovery reported BUILD_ERROR' });
    expect(classifyState('deploying', undefined)).toEqual({ kind: 'in_progress' });
  });
});

describe('isTerminalState', () => {
  it.each(['DEPLOYED', 'RESTARTED', 'STOPPED', 'DELETED', 'CANCELED', 'DEPLOYMENT_ERROR', 'build_error'])('%s ends a deployment', (state) => {
    expect(isTerminalState(state)).toBe(true);
  });

  it.each(['DEPLOYING', 'QUEUED', 'WAITING_RUNNING', 'FOO_BAR', 'READY'])('%s does not end a deployment', (state) => {
    expect(isTerminalState(state)).toBe(false);
  });
});
