// One line per event on stdout/stderr, filtered by level. Under systemd (JOURNAL_STREAM set) each line
// starts with its sd-daemon priority (<6> info, <4> warning, ...) so `journalctl -p warning` filters
// by it, and journald adds the time; run by hand, the line carries its own time.
// Callers pass plain fields; never pass a secret.
import type { LogLevel } from "./config/settings.ts";

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold = rank[(process.env.ARGUS_LOG_LEVEL?.toLowerCase() as LogLevel) ?? "info"] ?? rank.info;

export function setLogLevel(level: LogLevel): void {
  threshold = rank[level];
}

const PRIORITY: Record<LogLevel, string> = { debug: "<7>", info: "<6>", warn: "<4>", error: "<3>" };
const journald = () => Boolean(process.env.JOURNAL_STREAM);

function emit(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (rank[level] < threshold) return;
  const head = journald() ? PRIORITY[level] : `time=${new Date().toISOString()} `;
  let line = `${head}level=${level} msg=${JSON.stringify(message)}`;
  for (const [k, v] of Object.entries(fields ?? {})) line += ` ${k}=${typeof v === "string" ? JSON.stringify(v) : String(v)}`;
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(line + "\n");
}

export const log = {
  debug: (m: string, f?: Record<string, unknown>) => emit("debug", m, f),
  info: (m: string, f?: Record<string, unknown>) => emit("info", m, f),
  warn: (m: string, f?: Record<string, unknown>) => emit("warn", m, f),
  error: (m: string, f?: Record<string, unknown>) => emit("error", m, f),
};
