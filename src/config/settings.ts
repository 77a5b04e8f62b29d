// Process-level settings from the environment, with the embedded defaults a fresh install runs on
// (port 8080, data under ./data). The appliance's editable configuration (subnets, schedule,
// notifications, …) is the configuration file (ARGUS_CONFIG or <data>/config.json): app-config.ts.
import { resolve } from "node:path";

export type Settings = {
  host: string;
  port: number;
  /** Also listen on this unix socket (ARGUS_SOCKET), e.g. for a reverse proxy or local tools. */
  socket?: string;
  dataDir: string;
  /** ARGUS_CONFIG, ARGUS_SUBNETS and ARGUS_EXCLUDE as given, for the configuration file's loader
   *  (read here, with everything else, rather than from the process environment later). */
  configEnv: Record<string, string | undefined>;
  /** From ARGUS_SESSION_SECRET; when absent a secret is generated once into the data dir. */
  sessionSecret?: string;
  secureCookies: boolean;
  maxBodyBytes: number;
  /** Largest database file POST /api/restore accepts (ARGUS_MAX_RESTORE_BYTES). */
  maxRestoreBytes: number;
  /** Time limit for checking an uploaded backup before it is restored (ARGUS_RESTORE_CHECK_SECONDS). */
  restoreCheckSeconds: number;
  logLevel: LogLevel;
  /** ARGUS_NOTIFY_SCHEDULE: ms before a notification's first try, then between tries (tuning, tests). */
  notifySchedule?: number[];
  /** ARGUS_FLOOD_DIGEST_MS: how long after a sighting flood's first device its digest goes out. */
  floodDigestMs?: number;
  /** ARGUS_SEGMENT_HEARTBEAT_MS: a sensor's heartbeat period (tests; 30 s by default). */
  segmentHeartbeatMs?: number;
  /** ARGUS_SEGMENT_CHECK_MS: how often a hub looks for silent sensors (tests; 5 s by default). */
  segmentCheckMs?: number;
};

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class SettingsError extends Error {}

export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const port = integer(env.ARGUS_PORT ?? "8080", "ARGUS_PORT", 0, 65535);
  const secret = env.ARGUS_SESSION_SECRET;
  if (secret !== undefined && secret.length < 32) {
    throw new SettingsError("ARGUS_SESSION_SECRET must be at least 32 characters");
  }
  const logLevel = (env.ARGUS_LOG_LEVEL ?? "info").toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new SettingsError(`ARGUS_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }
  return {
    host: env.ARGUS_HOST ?? "0.0.0.0",
    port,
    socket: env.ARGUS_SOCKET || undefined,
    dataDir: resolve(env.ARGUS_DATA_DIR ?? "data"),
    configEnv: { ARGUS_CONFIG: env.ARGUS_CONFIG, ARGUS_SUBNETS: env.ARGUS_SUBNETS, ARGUS_EXCLUDE: env.ARGUS_EXCLUDE },
    sessionSecret: secret,
    secureCookies: env.ARGUS_SECURE_COOKIES === "1" || env.ARGUS_SECURE_COOKIES === "true",
    maxBodyBytes: integer(env.ARGUS_MAX_BODY_BYTES ?? String(1024 * 1024), "ARGUS_MAX_BODY_BYTES", 1024, 1024 ** 3),
    maxRestoreBytes: integer(env.ARGUS_MAX_RESTORE_BYTES ?? String(1024 ** 3), "ARGUS_MAX_RESTORE_BYTES", 4096, 64 * 1024 ** 3),
    restoreCheckSeconds: integer(env.ARGUS_RESTORE_CHECK_SECONDS ?? "120", "ARGUS_RESTORE_CHECK_SECONDS", 1, 86400),
    logLevel: logLevel as LogLevel,
    notifySchedule: env.ARGUS_NOTIFY_SCHEDULE ? schedule(env.ARGUS_NOTIFY_SCHEDULE) : undefined,
    floodDigestMs: env.ARGUS_FLOOD_DIGEST_MS ? integer(env.ARGUS_FLOOD_DIGEST_MS, "ARGUS_FLOOD_DIGEST_MS", 0, 24 * 3_600_000) : undefined,
    segmentHeartbeatMs: env.ARGUS_SEGMENT_HEARTBEAT_MS ? integer(env.ARGUS_SEGMENT_HEARTBEAT_MS, "ARGUS_SEGMENT_HEARTBEAT_MS", 100, 3_600_000) : undefined,
    segmentCheckMs: env.ARGUS_SEGMENT_CHECK_MS ? integer(env.ARGUS_SEGMENT_CHECK_MS, "ARGUS_SEGMENT_CHECK_MS", 100, 3_600_000) : undefined,
  };
}

function schedule(raw: string): number[] {
  const parts = raw.split(",").map((s) => s.trim());
  if (parts.length < 1 || parts.length > 20 || parts.some((p) => !/^\d{1,9}$/.test(p))) {
    throw new SettingsError(`ARGUS_NOTIFY_SCHEDULE must be 1–20 comma-separated milliseconds (first try, then between tries), got '${raw}'`);
  }
  return parts.map(Number);
}

function integer(raw: string, name: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new SettingsError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  return n;
}
