import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/** Where the API description lives; the UI's own routes under it are left out of the document. */
export const DOCS_PREFIX = '/docs';

/**
 * The OpenAPI 3 document, generated from the zod schemas each route declares (so it cannot drift
 * from what the routes validate), at /docs/json, with Swagger UI at /docs. The UI's files come
 * from the npm package: no CDN, so it works offline and behind strict egress rules. Must be
 * registered before the routes: it collects them as they are added.
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'deploy-relay',
        description: 'Turns container-registry and git-host webhooks into Qovery deployments. Errors answer `{code, message, reqId}`.',
        version: '1',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'RELAY_API_TOKEN' } },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
}
