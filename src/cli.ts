#!/usr/bin/env node
/**
 * `deploy-relay <command>`: the package's bin. `check-config [file]` checks the rules file and the
 * environment the way the relay would read them at start, and prints every problem in one run;
 * `qovery-webhook` registers the relay's `qovery` source with Qovery; `start` runs the relay (as
 * `npm start` does).
 */
import { parseArgs } from 'node:util';
import { loadDotEnv } from './config/env.js';
import { readConfig } from './config/load.js';
import { redactRedisUrl } from './redis/url.js';
import { QOVERY_WEBHOOK_EVENTS, registerQoveryWebhook } from './qovery/webhook-registration.js';

const USAGE = `usage: deploy-relay <command>

  check-config [file]  check the rules file (default: $RELAY_CONFIG, else ./relay.config.yaml) and the
                       environment (with ./.env) together; print every problem, exit 1 on any
  qovery-webhook --organization <id> --url <relay url> [--source <name>] [--config <file>]
                       register the rules file's qovery source as a webhook of the Qovery organization
                       (POST /organization/<id>/webhook, or PUT on the one already at that URL), with
                       QOVERY_API_URL and QOVERY_API_TOKEN; Qovery then reports every deployment's end
  start                run the relay
`;

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
      `environment: role ${env.RELAY_ROLE}, DEPLOY_MODE ${env.DEPLOY_MODE}, Redis ${redactRedisUrl(env.REDIS_URL)}\n`,
  );
  return 0;
}

async function qoveryWebhook(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { organization: { type: 'string' }, url: { type: 'string' }, source: { type: 'string' }, config: { type: 'string' } },
  });
  const fail = (message: string) => {
    process.stderr.write(`deploy-relay qovery-webhook: ${message}\n`);
    return 1;
  };
  if (!values.organization || !values.url) return fail('--organization <id> and --url <relay url> are both required');
  if (!/^https?:\/\//.test(values.url)) return fail(`--url must start with http:// or https://, not "${values.url}"`);
  loadDotEnv();
  const reading = await readConfig({ emptyCredentials: 'refuse', ...(values.config !== undefined && { rulesPath: values.config }) });
  if (!reading.env || !reading.rules)
    return fail(`the configuration has problems (run deploy-relay check-config):\n${reading.problems.map((p) => `  - ${p}`).join('\n')}`);
  const sources = reading.rules.sources.filter((s) => s.type === 'qovery' && (values.source === undefined || s.name === values.source));
  if (sources.length !== 1) {
    const which = values.source === undefined ? 'a source of type qovery' : `a qovery source named "${values.source}"`;
    return fail(sources.length === 0 ? `${reading.rulesPath} has no ${which}` : `${reading.rulesPath} has several qovery sources; choose one with --source`);
  }
  const [source] = sources;
  const token = reading.env.QOVERY_API_TOKEN;
  if (!source?.secret || !token) return fail(source?.secret ? 'QOVERY_API_TOKEN is not set' : `source "${source?.name}" has no secret`);
  const targetUrl = `${values.url.replace(/\/+$/, '')}/webhooks/${encodeURIComponent(source.name)}`;
  const result = await registerQoveryWebhook({
    apiUrl: reading.env.QOVERY_API_URL,
    token,
    timeoutMs: reading.env.QOVERY_REQUEST_TIMEOUT_MS,
    organizationId: values.organization,
    targetUrl,
    secret: source.secret,
  });
  if (!result.ok) return fail(result.detail);
  process.stdout.write(`${result.action} Qovery webhook ${result.id}: ${QOVERY_WEBHOOK_EVENTS.join(', ')} -> ${targetUrl}\n`);
  return 0;
}

async function run(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'check-config' && rest.length <= 1) return checkConfig(rest[0]);
  if (command === 'qovery-webhook') return qoveryWebhook(rest);
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
