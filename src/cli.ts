#!/usr/bin/env node
/**
 * `deploy-relay <command>`: the package's bin. `check-config [file]` checks the rules file and the
 * environment the way the relay would read them at start, and prints every problem in one run;
 * `start` runs the relay (as `npm start` does).
 */
import { loadDotEnv } from './config/env.js';
import { readConfig } from './config/load.js';

const USAGE = `usage: deploy-relay <command>

  check-config [file]  check the rules file (default: $RELAY_CONFIG, else ./relay.config.yaml) and the
                       environment (with ./.env) together; print every problem, exit 1 on any
  start                run the relay
`;

const redactUrl = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');

async function checkConfig(file: string | undefined): Promise<number> {
  loadDotEnv();
  // Stricter than start-up: a source the relay would leave out for its empty secret is a problem here.
  const reading = await readConfig({ emptyCredentials: 'refuse', ...(file !== undefined && { rulesPath: file }) });
  for (const warning of reading.warnings) process.stdout.write(`warning: ${warning}\n`);
  if (reading.problems.length > 0 || !reading.env || !reading.rules) {
    const count = reading.problems.length;
    process.stderr.write(`deploy-relay check-config: ${count} problem${count === 1 ? '' : 's'}:\n${reading.problems.map((p) => `  - ${p}\n`).join('')}`);
    return 1;
  }
  const { env, rules } = reading;
  const names = (items: readonly { name: string }[]) => (items.length > 0 ? ` (${items.map((i) => i.name).join(', ')})` : '');
  process.stdout.write(
    `ok: ${reading.rulesPath}: ${rules.sources.length} source${rules.sources.length === 1 ? '' : 's'}${names(rules.sources)}, ` +
      `${rules.routes.length} route${rules.routes.length === 1 ? '' : 's'}${names(rules.routes)}; ` +
      `environment: role ${env.RELAY_ROLE}, DEPLOY_MODE ${env.DEPLOY_MODE}, Redis ${redactUrl(env.REDIS_URL)}\n`,
  );
  return 0;
}

async function run(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'check-config' && rest.length <= 1) return checkConfig(rest[0]);
  if (command === 'start' && rest.length === 0) {
    await import('./main.js');
    return -1; // the relay keeps the process alive and exits on its own
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  process.stderr.write(`deploy-relay: unknown command "${args.join(' ')}"\n\n${USAGE}`);
  return 2;
}

run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`deploy-relay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
