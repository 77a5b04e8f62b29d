// One line per event on stdout (journald adds the timestamp under systemd), filtered by level.
// Callers pass plain fields; never pass a secret.
import type { LogLevel } from "./config/settings.ts";

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold = rank[(process.env.ARGUS_LOG_LEVEL?.toLowerCase() as LogLevel) ?? "info"] ?? rank.info;

export function setLogLevel(level: LogLevel): void {
  threshold = rank[level];
}

function emit(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (rank[level] < threshold) return;
  let line = `level=${level} msg=${JSON.stringify(message)}`;
  for (const [k, v] of Object.entries(fields ?? {})) line += ` ${k}=${typeof v === "string" ? JSON.stringify(v) : String(v)}`;
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(line + "\n");
}

export const log = {
  debug: (m: string, f?: Record<string, unknown>) => emit("debug", m, f),
  info: (m: string, f?: Record<string, unknown>) => emit("info", m, f),
  warn: (m: string, f?: Record<string, unknown>) => emit("warn", m, f),
  error: (m: string, f?: Record<string, unknown>) => emit("error", m, f),
};
