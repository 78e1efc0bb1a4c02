import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/**
 * The dashboard is built before any test file runs, once: the relay serves dist/web, and a build
 * while other files' relays read that folder would pull files from under them.
 */
export default async function setup(): Promise<void> {
  await build({ configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)) });
}
