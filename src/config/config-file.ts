// Reading and atomically replacing the configuration file.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ConfigError } from "./config-error.ts";

export function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConfigError("(file)", `${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError("(file)", `${path} must hold a JSON object`);
  return raw as Record<string, unknown>;
}

/** The file could not be replaced (full disk, read-only file system, …): nothing was changed. */
export class ConfigWriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`the configuration file ${path} could not be written (${code})`);
  }
  /** No room left (ENOSPC, EDQUOT), as opposed to a file system that refuses the write. */
  get full(): boolean {
    return this.code === "ENOSPC" || this.code === "EDQUOT";
  }
}

/**
 * Replaces the file so that a reader (or a power cut) sees the old content or the new, never a mix:
 * written to a temporary file beside it (mode 0600: it holds notification secrets), flushed to disk,
 * renamed over the old one, and the directory entry flushed too.
 */
export function writeConfigFile(path: string, content: unknown): void {
  try {
    replaceFile(path, content);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string") throw new ConfigWriteError(path, code);
    throw e;
  }
}

function replaceFile(path: string, content: unknown): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify(content, null, 2) + "\n");
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  const dir = openSync(dirname(path), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
