import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ecr } from '../../../src/sources/ecr.js';
import type { SourceConfig, WebhookRequest } from '../../../src/sources/types.js';

interface Fixture {
  description: string;
  source: SourceConfig;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  expect: { kind: string; events?: object[]; reason?: string };
}

const DIR = fileURLToPath(new URL('../../fixtures/ecr/', import.meta.url));
const fixtures = readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, ...(JSON.parse(readFileSync(DIR + name, 'utf8')) as Fixture) }));
function load(name: string): Fixture {
  const fixture = fixtures.find((f) => f.name === name);
  if (!fixture) throw new Error(`no fixture ${name}`);
  return fixture;
}

function parse(fixture: Fixture, body: unknown = fixture.body) {
  const request: WebhookRequest = {
    headers: fixture.headers,
    rawBody: Buffer.from(JSON.stringify(body)),
    now: new Date('2026-11-20T10:00:00Z'),
  };
  return ecr.parse(fixture.source, request, body);
}

function withDetail(fixture: Fixture, detail: Record<string, unknown>, top: Record<string, unknown> = {}) {
  return { ...fixture.body, ...top, detail: { ...(fixture.body.detail as object), ...detail } };
}

describe('ecr parse', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s gives what the fixture expects', (_name, fixture) => {
    const result = parse(fixture);
    expect(result.kind).toBe(fixture.expect.kind);
    if (result.kind === 'events') expect(result.events).toMatchObject(fixture.expect.events ?? []);
    if (result.kind === 'ignored' || result.kind === 'invalid') expect(result.reason).toContain(fixture.expect.reason);
  });

  it('uses the EventBridge event id as the delivery id, so a retry collides and another push does not', () => {
    const fixture = load('push-tag.json');
    const deliveryId = (body: unknown) => {
      const result = parse(fixture, body);
      return result.kind === 'events' ? result.deliveryId : undefined;
    };
    expect(deliveryId(fixture.body)).toBe('4f7c2a91-6b3e-1d0a-9e55-8a2f4c7b1e03');
    expect(deliveryId(structuredClone(fixture.body))).toBe(deliveryId(fixture.body));
    const next = withDetail(fixture, { 'image-tag': '1.4.3' }, { id: '5a8d3b02-7c4f-2e1b-0f66-9b3a5d8c2f14' });
    expect(deliveryId(next)).not.toBe(deliveryId(fixture.body));
  });

  it('names China-region registries under amazonaws.com.cn', () => {
    const result = parse(load('push-tag.json'), { ...load('push-tag.json').body, region: 'cn-north-1' });
    expect(result.kind === 'events' && result.events[0]?.image).toBe('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/acme/api');
  });

  it('ignores a failed push and says why', () => {
    const fixture = load('push-tag.json');
    const result = parse(fixture, withDetail(fixture, { result: 'FAILURE' }));
    expect(result).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('FAILURE') });
  });

  it('ignores other EventBridge events such as image scans', () => {
    const fixture = load('push-tag.json');
    const scan = { ...fixture.body, 'detail-type': 'ECR Image Scan', detail: { 'scan-status': 'COMPLETE' } };
    expect(parse(fixture, scan)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('ECR Image Scan') });
  });

  it('keeps what it could read of an ignored deletion for the history', () => {
    const result = parse(load('delete.json'));
    expect(result.kind === 'ignored' && result.read).toMatchObject({ image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/acme/api', tag: '1.4.2' });
  });

  it('is invalid when the event lacks what EventBridge always sends', () => {
    const fixture = load('push-tag.json');
    const { account: _account, ...withoutAccount } = fixture.body;
    expect(parse(fixture, withoutAccount)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('account') });
    expect(parse(fixture, withDetail(fixture, { 'repository-name': undefined }))).toMatchObject({ kind: 'invalid' });
  });
});

describe('ecr authenticate', () => {
  it('refuses a source with no header configured', () => {
    const fixture = load('push-tag.json');
    const { header: _header, ...source } = fixture.source;
    const request = { headers: { 'x-relay-key': 'anything' }, rawBody: Buffer.from('{}'), now: new Date() };
    expect(ecr.authenticate(source, request)).toMatchObject({ ok: false, reason: expect.stringContaining('no header') });
  });
});
