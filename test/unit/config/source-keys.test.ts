import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { parseRules } from '../../../src/config/rules.js';

function problemsOf(yaml: string): string[] {
  try {
    parseRules(yaml, {});
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('sources whose provider takes one of several keys', () => {
  it('refuses a gitlab source with neither token nor signingSecret, and accepts either or both', () => {
    expect(problemsOf('sources: [{ name: gl, type: gitlab }]').join('\n')).toContain('needs one of: token, signingSecret');
    expect(problemsOf('sources: [{ name: gl, type: gitlab, token: "gitlab-token-1" }]')).toEqual([]);
    expect(
      problemsOf('sources: [{ name: gl, type: gitlab, token: "gitlab-token-1", signingSecret: "whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=" }]'),
    ).toEqual([]);
  });

  it('refuses a jfrog source with both a plain token and a signing secret, or with neither', () => {
    expect(problemsOf('sources: [{ name: jf, type: jfrog, registryHost: acme.jfrog.io, token: "jfrog-token-1", secret: s }]').join('\n')).toContain(
      'takes only one of: token, secret',
    );
    expect(problemsOf('sources: [{ name: jf, type: jfrog, registryHost: acme.jfrog.io }]').join('\n')).toContain('needs one of: token, secret');
  });
});

describe('route patterns', () => {
  it('names a /regex/ that does not compile when the rules are read', () => {
    const yaml = `
sources: [{ name: gh, type: github, secret: s }]
routes:
  - { name: r, source: gh, match: { branch: "/[/" }, target: { jobId: 00000000-0000-4000-8000-000000000001 }, deploy: commit }
`;
    expect(problemsOf(yaml).join('\n')).toMatch(/routes\.0\.match\.branch: not a valid regular expression/);
  });
});
