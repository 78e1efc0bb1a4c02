import { pino, type Logger, type LoggerOptions } from 'pino';

/** Paths that may carry secrets anywhere they are logged; pino removes them before writing. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-hub-signature"]',
  'req.headers["x-gitlab-token"]',
  'req.headers["webhook-signature"]',
  'req.headers["x-gitea-signature"]',
  'req.headers["x-forgejo-signature"]',
  'req.headers["x-jfrog-event-auth"]',
  'req.headers["x-nexus-webhook-signature"]',
  'req.headers["x-relay-signature"]',
  'headers.authorization',
  '*.secret',
  '*.token',
  '*.signingSecret',
  '*.header.value',
  'config.QOVERY_API_TOKEN',
  'config.RELAY_API_TOKEN',
];

export function createLogger(level: LoggerOptions['level'], destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'deploy-relay' } };
  // Asynchronous stdout: lines written while a write is in flight go out together, one syscall per
  // batch instead of one per webhook. main.ts flushes before the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
