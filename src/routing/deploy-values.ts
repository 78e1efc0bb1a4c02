import type { DeployRequest } from './plan.js';

/** A full git commit id: SHA-1 (40) or SHA-256 (64) hex digits. Qovery deploys a commit by its full id. */
const GIT_COMMIT_ID = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;
/** The OCI distribution spec's tag grammar: 128 characters at most, no leading "." or "-". */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

const shown = (value: string): string => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);

/** Why Qovery could not be asked to deploy this request's commit or tag, or nothing when it can. */
export function deployValueProblem(request: Pick<DeployRequest, 'route' | 'imageTag' | 'gitCommitId'>): string | undefined {
  if (request.gitCommitId !== undefined && !GIT_COMMIT_ID.test(request.gitCommitId)) {
    return `route "${request.route}": commit ${shown(request.gitCommitId)} is not a full git commit id (40 or 64 hex digits)`;
  }
  if (request.imageTag !== undefined && !IMAGE_TAG.test(request.imageTag)) {
    return `route "${request.route}": tag ${shown(request.imageTag)} is not a valid image tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`;
  }
  return undefined;
}
