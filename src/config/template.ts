/**
 * Image-tag templates such as `sha-{commit:7}` or `{branch}-{commit:12}`: CI pipelines tag images
 * by commit, so a git push can name the image tag it will deploy.
 */
const PLACEHOLDER = /\{([a-z]+)(?::(\d+))?\}/g;
const VARIABLES = new Set(['commit', 'branch', 'tag', 'repository']);

export type TemplateValues = Partial<Record<'commit' | 'branch' | 'tag' | 'repository', string>>;

export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (!VARIABLES.has(match[1] ?? '')) problems.push(`unknown placeholder {${match[1]}}; use {commit}, {commit:N}, {branch}, {tag} or {repository}`);
  }
  return problems;
}

/** Docker tags allow [A-Za-z0-9_.-]; branch names like `feature/x` become `feature-x`. */
function tagSafe(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '-');
}

export function renderTemplate(template: string, values: TemplateValues): { ok: true; value: string } | { ok: false; missing: string } {
  let missing: string | undefined;
  const value = template.replace(PLACEHOLDER, (_whole, name: string, length?: string) => {
    const found = values[name as keyof TemplateValues];
    if (found === undefined) {
      missing ??= name;
      return '';
    }
    return tagSafe(length ? found.slice(0, Number(length)) : found);
  });
  return missing === undefined ? { ok: true, value } : { ok: false, missing };
}
