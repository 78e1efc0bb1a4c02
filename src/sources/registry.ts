import { dockerhub } from './dockerhub.js';
import { distribution } from './distribution.js';
import { ecr } from './ecr.js';
import { bitbucket } from './bitbucket.js';
import { generic } from './generic.js';
import { gitea } from './gitea.js';
import { github } from './github.js';
import { gitlab } from './gitlab.js';
import { jfrog } from './jfrog.js';
import { nexus } from './nexus.js';
import { harbor } from './harbor.js';
import { quay } from './quay.js';
import { acr } from './acr.js';
import { gar } from './gar.js';
import { qovery } from './qovery.js';
import { SECRET_KEY_PATHS, type Provider } from './types.js';

/** Adding a provider is one file and one line here. */
const providers: readonly Provider[] = [github, dockerhub, ecr, jfrog, nexus, distribution, gitlab, bitbucket, gitea, generic, harbor, quay, acr, gar, qovery];

const providersByType: ReadonlyMap<string, Provider> = new Map(providers.map((p) => [p.type, p]));

export const PROVIDER_TYPES: readonly string[] = providers.map((p) => p.type);

/**
 * Where a credential can appear in a log line: every provider's signature and token headers, any
 * source key that holds a secret, and the relay's own tokens. pino removes them before writing.
 */
export const REDACTED_PATHS: readonly string[] = [...new Set(['authorization', ...providers.flatMap((p) => p.credentialHeaders)]).values()]
  .flatMap((name) => [`req.headers["${name}"]`, `headers["${name}"]`])
  .concat(
    SECRET_KEY_PATHS.map((path) => `*.${path}`),
    ['config.QOVERY_API_TOKEN', 'config.RELAY_API_TOKEN'],
  );

export function providerFor(type: string): Provider | undefined {
  return providersByType.get(type);
}
