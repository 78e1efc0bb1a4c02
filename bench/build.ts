import { spawn } from 'node:child_process';
import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleRelay } from '../scripts/bundle.js';
import { makeTempDir } from './cleanup.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Build {
  readonly dir: string;
  /** The relay exactly as production starts it (`node dist/bundle/main.js`, built by scripts/bundle.ts). */
  readonly mainJs: string;
  readonly baselineJs: string;
  remove(): Promise<void>;
}

/** Runs a command to its end; resolves with its stdout. */
function runToEnd(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), (output += chunk.toString())));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

/** Makes `dir` a place ES modules run from with today's node_modules. */
async function prepareRunDir(dir: string): Promise<void> {
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
}

/** Compiles `files` under `sourceRoot` to plain JS in `dir` (outputs keep their paths below sourceRoot). */
async function compile(dir: string, sourceRoot: string, files: readonly string[]): Promise<void> {
  const tsconfig = {
    extends: path.join(ROOT, 'tsconfig.json'),
    compilerOptions: { rootDir: sourceRoot, outDir: dir, noEmit: false, noCheck: true, sourceMap: true },
    files: files.map((f) => path.join(sourceRoot, f)),
    include: [],
  };
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  await runToEnd(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')]);
}

/**
 * Bundles the relay as `npm run build` does and compiles the bench's baseline to plain JS, in a
 * temporary directory: a process run under the tsx loader carries a loader thread and the compiler
 * (~45 MB more RSS), which would pollute every memory figure.
 */
export async function buildChildren(options: { readableNames?: boolean } = {}): Promise<Build> {
  const { dir, remove } = await makeTempDir('build');
  await prepareRunDir(dir);
  await bundleRelay({ sourceRoot: ROOT, entries: ['src/main.ts'], outDir: path.join(dir, 'relay'), ...options });
  await compile(dir, ROOT, ['bench/children/baseline.ts']);
  return { dir, mainJs: path.join(dir, 'relay/main.js'), baselineJs: path.join(dir, 'bench/children/baseline.js'), remove };
}

/**
 * The relay's src/ as it was at a git ref, bundled as today's build bundles it against today's
 * node_modules, with today's baseline: a before/after comparison then differs only in the relay's
 * code.
 */
export async function buildRelayAt(ref: string, options: { readableNames?: boolean } = {}): Promise<Build & { readonly commit: string }> {
  const commit = (await runToEnd('git', ['-C', ROOT, 'rev-parse', '--short', `${ref}^{commit}`])).trim();
  const source = await makeTempDir(`source-${commit}`);
  const { dir, remove } = await makeTempDir(`build-${commit}`);
  try {
    await runToEnd('sh', ['-c', `git -C "${ROOT}" archive "${commit}" src | tar -x -C "${source.dir}"`]);
    // The bundler resolves the ref's imports from here, with today's node_modules.
    await prepareRunDir(source.dir);
    await prepareRunDir(dir);
    await bundleRelay({ sourceRoot: source.dir, entries: ['src/main.ts'], outDir: path.join(dir, 'relay'), ...options });
  } catch (error) {
    await remove();
    throw error;
  } finally {
    await source.remove();
  }
  const today = await buildChildren();
  return {
    commit,
    dir,
    mainJs: path.join(dir, 'relay/main.js'),
    baselineJs: today.baselineJs,
    async remove() {
      await Promise.all([remove(), today.remove()]);
    },
  };
}
