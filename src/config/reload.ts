import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Rules, RulesReading } from './rules.js';

/**
 * Re-reads the rules file on demand (SIGHUP) and when it changes on disk. A new file that does not
 * validate is refused with one log line listing its problems, and the rules in force stay.
 */
export function createRulesReloader(deps: { path: string; read: () => Promise<RulesReading>; apply: (rules: Rules) => void; logger: Logger }) {
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;

  async function reload(trigger: string): Promise<boolean> {
    try {
      const { rules, problems, warnings } = await deps.read();
      if (!rules) {
        deps.logger.error({ trigger, path: deps.path, problems }, 'new rules refused; the previous rules stay in force');
        return false;
      }
      for (const warning of warnings) deps.logger.warn({ trigger, path: deps.path }, warning);
      deps.apply(rules);
      deps.logger.info({ trigger, path: deps.path, sources: rules.sources.length, routes: rules.routes.length }, 'rules reloaded');
      return true;
    } catch (error) {
      deps.logger.error({ trigger, path: deps.path, problems: [(error as Error).message] }, 'new rules refused; the previous rules stay in force');
      return false;
    }
  }

  return {
    reload,
    /** Watches the directory, not the file: editors and ConfigMaps replace files by renaming. */
    watch(): void {
      watcher = watch(dirname(deps.path), (_event, name) => {
        if (name !== null && name !== basename(deps.path) && !name.startsWith('..')) return;
        clearTimeout(debounce);
        debounce = setTimeout(() => void reload('file change'), 200);
      });
      watcher.on('error', (err) => deps.logger.warn({ err }, 'cannot watch the rules file; SIGHUP still reloads it'));
    },
    close(): void {
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}
