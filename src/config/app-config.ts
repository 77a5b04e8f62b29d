// The appliance's editable configuration: what to watch, when, and how long to keep history. Read from
// ARGUS_CONFIG or <data>/config.json (optional: the defaults work with no file at all), validated by the
// one schema in schema.ts; environment variables override keys of the file and win over PUT /api/config.
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import { ConfigError } from "./config-error.ts";
import { ConfigWriteError, readConfigFile, writeConfigFile } from "./config-file.ts";
import { keepResolved, type ResolvedConfig } from "./resolved.ts";
import { CONFIG_SECTIONS, DEFAULT_CONFIG, ENV_OVERRIDES, overlayConfig, prototypeKey, resolveConfig, validateConfig, type AppConfig } from "./schema.ts";
import { carrySecrets } from "./secrets.ts";
import { checkSourcePaths } from "../sources/config.ts";

export { ConfigError, ConfigWriteError, DEFAULT_CONFIG, type AppConfig, type ResolvedConfig };

type Env = Record<string, string | undefined>;

export function configPath(dataDir: string, env: Env = process.env): string {
  return env.ARGUS_CONFIG ?? join(dataDir, "config.json");
}

/** A PUT that tries to change a key the environment sets: the file would change, the appliance would not. */
export class EnvOverrideError extends Error {
  constructor(
    readonly field: string,
    readonly variable: string,
  ) {
    super(`'${field}' is set by the environment variable ${variable}, which wins over the configuration file; change or unset it there`);
  }
}

/** Keys the environment sets now, with the variable that sets each. */
export function envOverrides(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, o] of Object.entries(ENV_OVERRIDES)) if (env[o!.variable] !== undefined) out[key] = o!.variable;
  return out;
}

/** The values the environment sets, by key. */
function envValues(env: Env): Partial<Record<keyof AppConfig, unknown>> {
  const out: Partial<Record<keyof AppConfig, unknown>> = {};
  for (const [key, o] of Object.entries(ENV_OVERRIDES)) {
    const value = env[o!.variable];
    if (value !== undefined) out[key as keyof AppConfig] = o!.parse(value);
  }
  return out;
}

/** The keys the file states, in the schema's order (defaults it does not state stay defaults). */
function fileContent(c: AppConfig, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.keys(CONFIG_SECTIONS).filter((k) => keys.includes(k)).map((k) => [k, c[k as keyof AppConfig]]));
}

export function loadAppConfig(path: string, env: Env = process.env): AppConfig {
  return loadResolvedConfig(path, env).config;
}

/**
 * The configuration at start: the file with the environment's overrides, validated once, and its
 * resolved view. The file's own values of keys the environment sets are never in force: where they
 * could not be used, the file view keeps the values in force (as at start before, they stop nothing).
 */
export function loadResolvedConfig(path: string, env: Env = process.env): ResolvedConfig {
  const raw = readConfigFile(path);
  const overridden = envValues(env);
  const inForce = withVariableNamed(() => resolveConfig({ ...raw, ...overridden }), overridden);
  let file = inForce.config;
  if (Object.keys(overridden).length > 0) {
    const own = Object.fromEntries(Object.keys(overridden).map((k) => [k, raw[k] ?? structuredClone(DEFAULT_CONFIG[k as keyof AppConfig])]));
    try {
      file = overlayConfig(inForce, own).config;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
    }
  }
  return keepResolved({ ...inForce.parts, file, config: inForce.config });
}

/**
 * A field error in a key the environment sets names the variable, not the file (which does not
 * hold that value): "ARGUS_SUBNETS (subnets): 'nonsense' is not an IPv4 address …".
 */
function withVariableNamed<T>(resolve: () => T, overridden: Partial<Record<keyof AppConfig, unknown>>): T {
  try {
    return resolve();
  } catch (e) {
    const key = e instanceof ConfigError ? (e.field.split(".")[0] as keyof AppConfig) : null;
    if (!key || !(key in overridden)) throw e;
    const problem = e as ConfigError;
    problem.message = `${ENV_OVERRIDES[key]!.variable} (${problem.field}): ${problem.reason}`;
    throw problem;
  }
}

export function validateAppConfig(raw: Record<string, unknown>): AppConfig {
  return validateConfig(raw);
}

export type ConfigUpdate = {
  /** The configuration now in force. */
  config: AppConfig;
  /** Top-level keys whose value changed. */
  changed: string[];
  /** The new resolved view (the old one when nothing changed). */
  resolved: ResolvedConfig;
};

/**
 * Applies a partial update: each top-level key given replaces its whole value. The file's new content
 * is validated once, as a whole; the environment's overrides are laid over it (only their keys checked
 * again), then it is written atomically. Nothing is written when a check fails or nothing changes.
 * `current` is the resolved view in force (the app context's); without it, the file is read for it.
 */
export function updateAppConfig(
  path: string,
  patch: Record<string, unknown>,
  env: Env = process.env,
  opts: { envConflict?: "reject" | "skip"; current?: ResolvedConfig; protectedPaths?: readonly string[] } = {},
): ConfigUpdate {
  // Before any spread or assignment could turn a `__proto__` key into a prototype and lose it.
  const proto = prototypeKey(patch);
  if (proto) throw new ConfigError(proto, "is not a known setting");
  const fileRaw = readConfigFile(path);
  const current = opts.current ?? loadResolvedConfig(path, env);
  const before = current.file;
  const inForce = current.config;
  const overrides = envOverrides(env);
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === "env_overrides" || value === undefined) continue;
    if (overrides[key]) {
      // Sending back what GET showed is fine; asking for another value cannot take effect.
      if (opts.envConflict === "skip" || isDeepStrictEqual(value, (inForce as Record<string, unknown>)[key])) continue;
      throw new EnvOverrideError(key, overrides[key]);
    }
    given[key] = carrySecrets(value, (before as Record<string, unknown>)[key], key);
  }
  const next = resolveConfig({ ...fileRaw, ...given });
  // Checked when given, against the files on disk now (not at every start, where a missing or moved
  // file must not keep the appliance down): the appliance's own files are no source's.
  if ("sources" in given) {
    const problem = checkSourcePaths(next.config.sources, opts.protectedPaths ?? []);
    if (problem) throw new ConfigError(problem.field, problem.reason);
  }
  const changed = Object.keys(CONFIG_SECTIONS).filter((k) => !isDeepStrictEqual((before as any)[k], (next.config as any)[k]));
  if (changed.length === 0) return { config: current.config, changed, resolved: current };
  const nextInForce = overlayConfig(next, envValues(env));
  writeConfigFile(path, fileContent(next.config, Object.keys({ ...fileRaw, ...given })));
  const resolved = keepResolved({ ...nextInForce.parts, file: next.config, config: nextInForce.config });
  return { config: resolved.config, changed, resolved };
}
