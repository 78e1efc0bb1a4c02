import { pino, type Logger, type LoggerOptions } from 'pino';

/** `redactedPaths` name where credentials can appear (the sources' registry lists them); pino removes them before writing. */
export function createLogger(level: LoggerOptions['level'], redactedPaths: readonly string[]): Logger {
  const options: LoggerOptions = { level, redact: { paths: [...redactedPaths], censor: '[redacted]' }, base: { service: 'deploy-relay' } };
  // Asynchronous stdout: lines written while a write is in flight go out together, one syscall per
  // batch instead of one per webhook. main.ts flushes before the process exits.
  return pino(options, pino.destination({ dest: 1, sync: false }));
}
