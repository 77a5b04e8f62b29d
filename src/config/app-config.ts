// The appliance's editable configuration: what to watch and how. Read from ARGUS_CONFIG or
// <data>/config.json (optional: the defaults work with no file at all), validated field by field.
// PUT /api/config, schedules and notifications arrive with a later issue and extend this module.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_PORT_RANGE, validateCustomProfile, validatePortSpec, type CustomProfile } from "../scan/profiles.ts";
import { parseExclusions, TargetError, validateCidrs } from "../net/targets.ts";
import { DEFAULT_NOTIFICATIONS, keepSecrets, validateNotifications, type NotificationsConfig } from "../notify/config.ts";

export type AppConfig = {
  /** Subnets an admin confirmed for watching. Empty: nothing is scanned without an explicit subnet (consent). */
  subnets: string[];
  /** IPs, CIDRs and MACs never probed or reported. */
  exclude: string[];
  port_range: string;
  /** Scanning public (non-RFC 1918, non-CGNAT) ranges needs this explicit opt-in. */
  allow_public_ranges: boolean;
  /** Restrict ARP sweeps to this interface (default: every attached subnet on its own interface). */
  interface: string | null;
  /** Discovery transmit rate, packets per second. */
  scan_rate: number;
  profiles: CustomProfile[];
  /** Channels, rules, quiet hours and muted devices (src/notify/config.ts). */
  notifications: NotificationsConfig;
  /** Passive watch (SPEC §5): listen for ARP, DHCP and mDNS on the confirmed subnets' interfaces. */
  passive: boolean;
};

export const DEFAULT_CONFIG: AppConfig = {
  subnets: [],
  exclude: [],
  port_range: DEFAULT_PORT_RANGE,
  allow_public_ranges: false,
  interface: null,
  scan_rate: 5000,
  profiles: [],
  notifications: DEFAULT_NOTIFICATIONS,
  passive: true,
};

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`config ${field}: ${reason}`);
  }
}

export function configPath(dataDir: string, env: Record<string, string | undefined> = process.env): string {
  return env.ARGUS_CONFIG ?? join(dataDir, "config.json");
}

function readRaw(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConfigError("(file)", `${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Validates the file's settings with `patch` applied and writes them atomically (mode 0600: the file
 * will hold notification secrets). Returns the configuration now in force, environment overrides included.
 */
export function updateAppConfig(path: string, patch: Partial<AppConfig>, env: Record<string, string | undefined> = process.env): AppConfig {
  const raw = readRaw(path);
  // Secrets are write-only: a section sent back as GET shows it (`token_set: true`) keeps the stored ones.
  if (patch.notifications !== undefined) {
    const stored = validateNotifications(raw.notifications);
    patch = { ...patch, notifications: keepSecrets(patch.notifications, stored.ok ? stored.value : undefined) as NotificationsConfig };
  }
  const next = validateAppConfig({ ...raw, ...patch });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(next, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
  return loadAppConfig(path, env);
}

export function loadAppConfig(path: string, env: Record<string, string | undefined> = process.env): AppConfig {
  const raw = readRaw(path);
  // Environment variables override the file, as for the process settings.
  if (env.ARGUS_SUBNETS !== undefined) raw.subnets = env.ARGUS_SUBNETS.split(",").map((s) => s.trim()).filter(Boolean);
  if (env.ARGUS_EXCLUDE !== undefined) raw.exclude = env.ARGUS_EXCLUDE.split(",").map((s) => s.trim()).filter(Boolean);
  return validateAppConfig(raw);
}

export function validateAppConfig(raw: Record<string, unknown>): AppConfig {
  const c: AppConfig = { ...DEFAULT_CONFIG, ...(raw as Partial<AppConfig>) };
  try {
    if (!Array.isArray(c.subnets)) throw new ConfigError("subnets", "must be a list of CIDRs");
    if (c.subnets.length > 0) validateCidrs(c.subnets, { allowAllRanges: c.allow_public_ranges === true }, "subnets");
    if (!Array.isArray(c.exclude)) throw new ConfigError("exclude", "must be a list of IPs, CIDRs or MACs");
    parseExclusions(c.exclude, "exclude");
  } catch (e) {
    if (e instanceof TargetError) throw new ConfigError(e.field, e.reason);
    throw e;
  }
  const ports = validatePortSpec(c.port_range, "port_range");
  if (!ports.ok) throw new ConfigError(ports.field, ports.reason);
  if (typeof c.allow_public_ranges !== "boolean") throw new ConfigError("allow_public_ranges", "must be true or false");
  if (c.interface !== null && (typeof c.interface !== "string" || !/^[\w.-]{1,15}$/.test(c.interface))) throw new ConfigError("interface", "must be an interface name");
  if (!Number.isInteger(c.scan_rate) || c.scan_rate < 10 || c.scan_rate > 100_000) throw new ConfigError("scan_rate", "must be an integer from 10 to 100000 packets per second");
  if (typeof c.passive !== "boolean") throw new ConfigError("passive", "must be true or false");
  if (!Array.isArray(c.profiles)) throw new ConfigError("profiles", "must be a list of custom profiles");
  c.profiles.forEach((p, i) => {
    const v = validateCustomProfile(p, `profiles[${i}]`);
    if (!v.ok) throw new ConfigError(v.field, v.reason);
  });
  const n = validateNotifications(raw.notifications);
  if (!n.ok) throw new ConfigError(n.field, n.reason);
  c.notifications = n.value;
  return c;
}
