import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { sendError } from './errors.js';

/**
 * Where `npm run build` puts the page: the same folder from src/http/ (tests) and from dist/bundle/
 * (the bundle that `npm start` runs), both two levels below the checkout.
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/web', import.meta.url));

/**
 * The page's own assets only: no inline script or style, no other origin. The API it calls is this
 * origin, and nothing may frame it (the token is typed into it).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The dashboard at `/`, served without the token: it asks for it, and every call it makes carries
 * it. Assets carry a content hash in their names, so they are cached for good; the page is not.
 */
export async function registerDashboard(app: FastifyInstance, dir = DASHBOARD_DIR): Promise<void> {
  if (!existsSync(`${dir}/index.html`)) {
    app.get('/', { schema: { hide: true } }, (request, reply) =>
      sendError(request, reply, 503, 'RELAY_DASHBOARD_NOT_BUILT', 'the dashboard is not built: run `npm run build` (the API works without it)'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: ['index.html'],
    // Swagger UI decorates replies with sendFile already; the page needs no decoration.
    decorateReply: false,
    wildcard: false,
    setHeaders(res, path) {
      res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
      res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
