// The appliance's editable configuration: what to watch, when, and how long to keep history. Read from
// ARGUS_CONFIG or <data>/config.json (optional: the defaults work with no file at all), validated by the
// one schema in schema.ts; environment variables override keys of the file and win over PUT /api/config.
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import { ConfigError } from "./config-error.ts";
import { ConfigWriteError, readConfigFile, writeConfigFile } from "./config-file.ts";
import { CONFIG_SECTIONS, DEFAULT_CONFIG, ENV_OVERRIDES, prototypeKey, validateConfig, type AppConfig } from "./schema.ts";
import { carrySecrets } from "./secrets.ts";

export { ConfigError, ConfigWriteError, DEFAULT_CONFIG, type AppConfig };

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

function withEnv(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const out = { ...raw };
  for (const [key, o] of Object.entries(ENV_OVERRIDES)) {
    const value = env[o!.variable];
    if (value !== undefined) out[key] = o!.parse(value);
  }
  return out;
}

/** The keys the file states, in the schema's order (defaults it does not state stay defaults). */
function fileContent(c: AppConfig, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.keys(CONFIG_SECTIONS).filter((k) => keys.includes(k)).map((k) => [k, c[k as keyof AppConfig]]));
}

export function loadAppConfig(path: string, env: Env = process.env): AppConfig {
  return validateConfig(withEnv(readConfigFile(path), env));
}

export function validateAppConfig(raw: Record<string, unknown>): AppConfig {
  return validateConfig(raw);
}

export type ConfigUpdate = { config: AppConfig; changed: string[] };

/**
 * Applies a partial update: each top-level key given replaces its whole value. The result is validated
 * as a whole (the file alone, and with the environment's overrides), then written atomically. Nothing is
 * written when a check fails or nothing changes. Returns the configuration now in force and the keys
 * whose value changed.
 */
export function updateAppConfig(path: string, patch: Record<string, unknown>, env: Env = process.env, opts: { envConflict?: "reject" | "skip" } = {}): ConfigUpdate {
  // Before any spread or assignment could turn a `__proto__` key into a prototype and lose it.
  const proto = prototypeKey(patch);
  if (proto) throw new ConfigError(proto, "is not a known setting");
  const fileRaw = readConfigFile(path);
  const before = validateConfig(fileRaw);
  const inForce = validateConfig(withEnv(fileRaw, env));
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
  const next = validateConfig({ ...fileRaw, ...given });
  const nextInForce = validateConfig(withEnv({ ...fileRaw, ...given }, env));
  const changed = Object.keys(CONFIG_SECTIONS).filter((k) => !isDeepStrictEqual((before as any)[k], (next as any)[k]));
  if (changed.length > 0) writeConfigFile(path, fileContent(next, Object.keys({ ...fileRaw, ...given })));
  return { config: nextInForce, changed };
}
