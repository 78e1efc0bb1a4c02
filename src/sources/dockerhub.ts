import { z } from 'zod';
import { describeIssues, isoFromEpochSeconds } from './payload.js';
import { normalizeImage } from './image.js';
import { deriveDeliveryId, verifyPathToken } from './verify.js';
import type { Provider } from './types.js';

const pushSchema = z.object({
  push_data: z.object({
    tag: z.string().min(1),
    pushed_at: z.number().optional(),
  }),
  repository: z.object({ repo_name: z.string().min(1) }),
});

export const dockerhub: Provider = {
  type: 'dockerhub',
  credentialHeaders: [],
  requiredKeys: ['token'],
  tokenInPath: true,
  // Docker Hub signs nothing, so the only secret is the unguessable token in the webhook URL.
  authenticate(source, request) {
    return verifyPathToken(request, source.token ?? '');
  },
  parse(source, _request, body) {
    const parsed = pushSchema.safeParse(body);
    if (!parsed.success) return { kind: 'invalid', reason: describeIssues('Docker Hub push', parsed.error) };
    const { push_data: pushData, repository } = parsed.data;
    const pushedAt = isoFromEpochSeconds(pushData.pushed_at);
    // Docker Hub sends no delivery id; its retries repeat the same repository, tag and push time.
    const deliveryId = deriveDeliveryId(source.name, repository.repo_name, pushData.tag, String(pushData.pushed_at ?? ''));
    return {
      kind: 'events',
      deliveryId,
      event: 'push',
      events: [
        {
          event: 'push',
          image: normalizeImage(repository.repo_name),
          tag: pushData.tag,
          ...(pushedAt && { pushedAt }),
        },
      ],
    };
  },
};
