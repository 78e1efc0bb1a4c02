/**
 * Bundles the relay's entry points into dist/bundle with esbuild. One minified ES module graph
 * instead of ~600 files from node_modules takes ~25 MB off an idle process (docs/benchmarks.md,
 * "Idle RSS"): Node keeps every loaded module's source and wrapper, and the ESM builds let esbuild
 * leave out what the relay never imports (BullMQ's PostgreSQL backend and other clients' adapters).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Packages read from their own folder at run time (swagger-ui serves its static files relative to
 * its own code), so they stay in node_modules.
 */
const EXTERNAL = ['@fastify/swagger-ui', '@fastify/static'];

/** CommonJS dependencies call `require`, which an ES module does not have unless it makes one. */
const REQUIRE_SHIM = "import { createRequire as __relayCreateRequire } from 'node:module'; const require = __relayCreateRequire(import.meta.url);";

/**
 * `readableNames` keeps the sources' identifiers (whitespace and syntax are still minified), so that
 * a CPU profile of the bundle names its functions; the bench asks for it with `--cpu-prof`.
 */
export async function bundleRelay(options: { sourceRoot: string; entries: readonly string[]; outDir: string; readableNames?: boolean }): Promise<void> {
  await build({
    absWorkingDir: options.sourceRoot,
    entryPoints: options.entries.map((entry) => path.join(options.sourceRoot, entry)),
    outdir: options.outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: options.readableNames !== true,
    legalComments: 'none',
    external: EXTERNAL,
    banner: { js: REQUIRE_SHIM },
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleRelay({ sourceRoot: ROOT, entries: ['src/main.ts', 'src/cli.ts'], outDir: path.join(ROOT, 'dist/bundle') });
}
