import { describe, expect, it } from 'vitest';
import { normalizeImage, splitImageReference } from '../../../src/sources/image.js';

const DIGEST = 'sha256:' + 'ab'.repeat(32);
const UPPER_HEX_DIGEST = 'sha256:' + 'AB'.repeat(32);

describe('normalizeImage', () => {
  it('puts an official image under docker.io/library', () => {
    expect(normalizeImage('nginx')).toBe('docker.io/library/nginx');
  });

  it('puts a namespaced name without a host on Docker Hub', () => {
    expect(normalizeImage('acme/api')).toBe('docker.io/acme/api');
  });

  it.each(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'])('reads %s as Docker Hub', (host) => {
    expect(normalizeImage(`${host}/acme/api`)).toBe('docker.io/acme/api');
    expect(normalizeImage(`${host}/nginx`)).toBe('docker.io/library/nginx');
  });

  it('keeps an explicit library/ namespace once', () => {
    expect(normalizeImage('library/nginx')).toBe('docker.io/library/nginx');
    expect(normalizeImage('docker.io/library/nginx')).toBe('docker.io/library/nginx');
  });

  it('keeps a registry host with a dot', () => {
    expect(normalizeImage('ghcr.io/acme/worker')).toBe('ghcr.io/acme/worker');
    expect(normalizeImage('europe-docker.pkg.dev/proj/repo/app')).toBe('europe-docker.pkg.dev/proj/repo/app');
  });

  it('keeps a registry host with a port, with or without a dot', () => {
    expect(normalizeImage('registry.example.com:5000/team/app')).toBe('registry.example.com:5000/team/app');
    expect(normalizeImage('myregistry:5000/app')).toBe('myregistry:5000/app');
  });

  it('reads localhost as a host, not a Docker Hub namespace', () => {
    expect(normalizeImage('localhost/app')).toBe('localhost/app');
    expect(normalizeImage('localhost:5000/team/app')).toBe('localhost:5000/team/app');
  });

  it('does not add library/ on registries other than Docker Hub', () => {
    expect(normalizeImage('quay.io/app')).toBe('quay.io/app');
  });

  it('lower-cases the host and the path', () => {
    expect(normalizeImage('GHCR.IO/Acme/Worker')).toBe('ghcr.io/acme/worker');
    expect(normalizeImage('Acme/API')).toBe('docker.io/acme/api');
  });

  it('drops a digest', () => {
    expect(normalizeImage(`ghcr.io/acme/worker@${DIGEST}`)).toBe('ghcr.io/acme/worker');
    expect(normalizeImage(`nginx@${UPPER_HEX_DIGEST}`)).toBe('docker.io/library/nginx');
  });

  it('drops a URL scheme and surrounding spaces', () => {
    expect(normalizeImage('https://ghcr.io/acme/worker')).toBe('ghcr.io/acme/worker');
    expect(normalizeImage('  acme/api\n')).toBe('docker.io/acme/api');
  });

  it('uses the default host given for names without one', () => {
    expect(normalizeImage('team/app', 'registry.example.com')).toBe('registry.example.com/team/app');
    expect(normalizeImage('team/app', 'Registry.Example.com')).toBe('registry.example.com/team/app');
    expect(normalizeImage('nginx', 'index.docker.io')).toBe('docker.io/library/nginx');
    expect(normalizeImage('ghcr.io/acme/worker', 'registry.example.com')).toBe('ghcr.io/acme/worker');
  });
});

describe('splitImageReference', () => {
  it('splits a name and its tag', () => {
    expect(splitImageReference('nginx:1.25')).toEqual({ name: 'nginx', tag: '1.25' });
    expect(splitImageReference('ghcr.io/acme/worker:v1.2.3')).toEqual({ name: 'ghcr.io/acme/worker', tag: 'v1.2.3' });
  });

  it('returns no tag when there is none', () => {
    expect(splitImageReference('ghcr.io/acme/worker')).toEqual({ name: 'ghcr.io/acme/worker' });
  });

  it('does not read the port of a host as a tag', () => {
    expect(splitImageReference('localhost:5000/acme/api')).toEqual({ name: 'localhost:5000/acme/api' });
    expect(splitImageReference('registry.example.com:5000/acme/api:v2')).toEqual({ name: 'registry.example.com:5000/acme/api', tag: 'v2' });
  });

  it('drops a digest, keeping a tag written before it', () => {
    expect(splitImageReference(`ghcr.io/acme/worker@${DIGEST}`)).toEqual({ name: 'ghcr.io/acme/worker' });
    expect(splitImageReference(`ghcr.io/acme/worker:v1@${DIGEST}`)).toEqual({ name: 'ghcr.io/acme/worker', tag: 'v1' });
    expect(splitImageReference(`localhost:5000/api@${UPPER_HEX_DIGEST}`)).toEqual({ name: 'localhost:5000/api' });
  });

  it('keeps the case of the tag, which Docker tags are sensitive to', () => {
    expect(splitImageReference('GHCR.io/Acme/API:Release-A')).toEqual({ name: 'GHCR.io/Acme/API', tag: 'Release-A' });
  });
});
