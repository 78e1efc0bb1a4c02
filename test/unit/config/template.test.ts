import { describe, expect, it } from 'vitest';
import { renderTemplate, templateProblems } from '../../../src/config/template.js';

const COMMIT = '9fceb02d0ae598e95dc970b74767f19372d61af8';

describe('renderTemplate', () => {
  it('renders sha-{commit:7} as the short commit CI pipelines tag images with', () => {
    expect(renderTemplate('sha-{commit:7}', { commit: COMMIT })).toEqual({ ok: true, value: 'sha-9fceb02' });
  });

  it('renders {commit} whole when no length is given', () => {
    expect(renderTemplate('{commit}', { commit: COMMIT })).toEqual({ ok: true, value: COMMIT });
  });

  it('turns characters Docker tags do not allow into "-", so feature/x becomes feature-x', () => {
    expect(renderTemplate('{branch}-{commit:12}', { branch: 'feature/x', commit: COMMIT })).toEqual({ ok: true, value: 'feature-x-9fceb02d0ae5' });
    expect(renderTemplate('{repository}', { repository: 'acme/api' })).toEqual({ ok: true, value: 'acme-api' });
  });

  it('keeps the characters Docker tags allow', () => {
    expect(renderTemplate('{tag}', { tag: 'v1.2.3_rc-1' })).toEqual({ ok: true, value: 'v1.2.3_rc-1' });
  });

  it('leaves a template without placeholders as written', () => {
    expect(renderTemplate('latest', {})).toEqual({ ok: true, value: 'latest' });
  });

  it('reports the variable the values do not carry', () => {
    expect(renderTemplate('{branch}-{commit:7}', { commit: COMMIT })).toEqual({ ok: false, missing: 'branch' });
  });

  it('reports the first missing variable when several are missing', () => {
    expect(renderTemplate('{tag}-{branch}', {})).toEqual({ ok: false, missing: 'tag' });
  });
});

describe('templateProblems', () => {
  it('accepts every documented placeholder', () => {
    expect(templateProblems('{commit}-{commit:7}-{branch}-{tag}-{repository}')).toEqual([]);
  });

  it('names an unknown placeholder and lists the ones that exist', () => {
    expect(templateProblems('sha-{sha:7}')).toEqual(['unknown placeholder {sha}; use {commit}, {commit:N}, {branch}, {tag} or {repository}']);
  });

  it('reports every unknown placeholder, not just the first', () => {
    expect(templateProblems('{version}-{build}')).toHaveLength(2);
  });
});
