import { isPlaceholder } from './credentials.js';
import { readEnv, rulesInputs, type DeployMode, type Env } from './env.js';
import { ConfigError } from './errors.js';
import { loadRulesReading, type ReadRulesOptions, type Rules, type RulesReading } from './rules.js';

/** Everything start-up and check-config learn from the environment and the rules file together. */
export interface ConfigReading {
  readonly env?: Env;
  readonly rules?: Rules;
  readonly rulesPath: string;
  readonly mode: DeployMode;
  /** Every problem of both, each prefixed with where it is. */
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
  /** Reads the rules file again with the same environment and options (SIGHUP, file changes). */
  readonly rereadRules: () => Promise<RulesReading>;
}

export interface ReadConfigOptions {
  readonly source?: NodeJS.ProcessEnv;
  /** Overrides RELAY_CONFIG (check-config's argument). */
  readonly rulesPath?: string;
  readonly emptyCredentials: NonNullable<ReadRulesOptions['emptyCredentials']>;
}

/** The relay's own tokens that live mode refuses while they still hold an example's placeholder. */
const TOKEN_VARIABLES = ['RELAY_API_TOKEN', 'QOVERY_API_TOKEN'] as const;

function tokenPlaceholders(env: Env, mode: DeployMode): { problems: string[]; warnings: string[] } {
  const named = TOKEN_VARIABLES.filter((name) => {
    const value = env[name];
    return value !== undefined && isPlaceholder(value);
  });
  const what = (name: string) => `${name} holds the example's placeholder (a value containing "change-me")`;
  return mode === 'live'
    ? { problems: named.map((name) => `environment: ${what(name)}; live mode needs a real token`), warnings: [] }
    : { problems: [], warnings: named.map((name) => `${what(name)}, which anyone can read in the examples; live mode refuses it`) };
}

/** Reads the environment and the rules file and lists the problems of both at once. */
export async function readConfig(options: ReadConfigOptions): Promise<ConfigReading> {
  const source = options.source ?? process.env;
  const envReading = readEnv(source);
  const inputs = rulesInputs(source);
  const rulesPath = options.rulesPath ?? inputs.path;
  const mode = envReading.env?.DEPLOY_MODE ?? inputs.mode;
  const rulesOptions = { emptyCredentials: options.emptyCredentials, placeholders: mode === 'live' ? 'refuse' : 'warn' } as const;
  const rereadRules = () => loadRulesReading(rulesPath, source, rulesOptions);
  const rules = await rereadRules();
  const tokens = envReading.env ? tokenPlaceholders(envReading.env, mode) : { problems: [], warnings: [] };
  const problems = [
    ...(envReading.problems ?? []).map((problem) => `environment: ${problem}`),
    ...tokens.problems,
    ...rules.problems.map((problem) => `${rules.summary.replace(/^(Invalid|Cannot read) /, '')}: ${problem}`),
  ];
  return {
    ...(envReading.env && { env: envReading.env }),
    ...(rules.rules && { rules: rules.rules }),
    rulesPath,
    mode,
    problems,
    warnings: [...tokens.warnings, ...rules.warnings],
    rereadRules,
  };
}

/** What the relay starts with, or one ConfigError listing every problem of the environment and the rules. */
export async function loadConfig(options: ReadConfigOptions): Promise<Required<Pick<ConfigReading, 'env' | 'rules'>> & ConfigReading> {
  const reading = await readConfig(options);
  if (!reading.env || !reading.rules || reading.problems.length > 0) throw new ConfigError('Invalid configuration', reading.problems);
  return { ...reading, env: reading.env, rules: reading.rules };
}
