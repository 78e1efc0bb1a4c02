import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The dashboard: Preact, bundled by Vite into dist/web, which the relay serves at `/`. Everything
 * it needs is in the bundle (no CDN), so it works offline and under a strict CSP.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The relay's CSP forbids inline scripts and styles: keep every asset a file.
    assetsInlineLimit: 0,
  },
});
