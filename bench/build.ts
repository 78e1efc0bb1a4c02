import { spawn } from 'node:child_process';
import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './cleanup.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Build {
  readonly dir: string;
  /** The relay exactly as production starts it (`node dist/main.js`). */
  readonly mainJs: string;
  readonly baselineJs: string;
  remove(): Promise<void>;
}

function runToEnd(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

/**
 * Compiles src/ and the bench's child entries to plain JS in a temporary directory: a process run
 * under the tsx loader carries a loader thread and the compiler (~45 MB more RSS), which would
 * pollute every memory figure.
 */
export async function buildChildren(): Promise<Build> {
  const { dir, remove } = await makeTempDir('build');
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  const tsconfig = {
    extends: path.join(ROOT, 'tsconfig.json'),
    compilerOptions: { rootDir: ROOT, outDir: dir, noEmit: false, noCheck: true, sourceMap: true },
    files: [path.join(ROOT, 'src/main.ts'), path.join(ROOT, 'bench/children/baseline.ts')],
    include: [],
  };
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  await runToEnd(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')]);
  return {
    dir,
    mainJs: path.join(dir, 'src/main.js'),
    baselineJs: path.join(dir, 'bench/children/baseline.js'),
    remove,
  };
}
