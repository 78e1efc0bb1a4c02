import type { Rules, SourceRule } from '../config/rules.js';
import { providerFor } from '../sources/registry.js';
import type { Provider } from '../sources/types.js';
import { compileRoutes, type RouteCompiler } from './plan.js';

export interface ConfiguredSource {
  readonly config: SourceRule;
  readonly provider: Provider;
}

/** Rules compiled for the webhook path: sources by name and the route matcher. */
export interface CompiledRules {
  readonly rules: Rules;
  readonly sources: ReadonlyMap<string, ConfiguredSource>;
  readonly plan: RouteCompiler;
}

function compileRules(rules: Rules): CompiledRules {
  const sources = new Map<string, ConfiguredSource>();
  for (const config of rules.sources) {
    const provider = providerFor(config.type);
    // parseRules already refused unknown types; this guards hand-built rules.
    if (!provider) throw new Error(`unknown source type "${config.type}"`);
    sources.set(config.name, { config, provider });
  }
  return { rules, sources, plan: compileRoutes(rules) };
}

/**
 * Holds the rules in force. A reload swaps the whole compiled value at once, so a request
 * never sees sources from one version and routes from another.
 */
export function createActiveRules(initial: Rules) {
  let current = compileRules(initial);
  return {
    current: (): CompiledRules => current,
    replace(rules: Rules): void {
      current = compileRules(rules);
    },
  };
}

export type ActiveRules = ReturnType<typeof createActiveRules>;
