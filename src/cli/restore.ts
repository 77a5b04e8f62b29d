// `argus restore FILE`: the shell's way to POST /api/restore, for when the service is stopped. Same
// checks and the same swap (src/db/restore.ts): the current database is kept as a dated copy.
import { copyFileSync, existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { RestoreError, restoreInto } from "../db/restore.ts";
import { AuditLog } from "../audit/audit-log.ts";
import { CliError, openExisting, resolveDataDir, takeDataDir } from "./database.ts";

const USAGE = `Usage: argus restore FILE [--data-dir DIR]

Replaces the Argus database with the backup FILE (from argus backup or GET /api/backup). Stop the
service first. Only an intact Argus database not newer than this version is accepted; the current
database is kept beside it as argus-before-restore-YYYYMMDD-HHMMSS.db.`;

export async function run(argv: string[]): Promise<number> {
  let upload: string | null = null;
  try {
    const { dataDir: flag, rest } = takeDataDir(argv);
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(USAGE);
      return 0;
    }
    const unknown = rest.find((a) => a.startsWith("-"));
    if (unknown) throw new CliError(`unknown option ${unknown}`, 2);
    if (rest.length !== 1) throw new CliError("give exactly one backup FILE", 2);
    const source = resolve(rest[0]);
    if (!existsSync(source)) throw new CliError(`${source} does not exist`, 3);
    const dataDir = resolveDataDir(flag);
    const db = openExisting(dataDir);
    try {
      const running = db.query("SELECT id FROM scans WHERE status IN ('pending', 'running')").get() as { id: number } | null;
      if (running) throw new CliError(`scan ${running.id} is running: stop the service (systemctl stop argus) first`, 1);
      // Work on a copy: the restore migrates it, and FILE stays as it was.
      upload = join(dataDir, `.restore-${process.pid}.db`);
      copyFileSync(source, upload);
      const result = restoreInto(db, upload, dataDir);
      new AuditLog(db).record({ username: process.env.SUDO_USER ?? process.env.USER ?? null, ip: null, userAgent: "argus restore" }, "restore_completed", {
        details: { devices: result.devices, schema_version: result.schema_version, previous_kept_as: result.kept_as },
      });
      console.log(`restored ${source}: ${result.devices} device(s); the previous database is kept as ${result.kept_as}`);
      return 0;
    } finally {
      db.close();
    }
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`argus restore: ${e.message}${e.exitCode === 2 ? `\n\n${USAGE}` : ""}`);
      return e.exitCode;
    }
    if (e instanceof RestoreError) {
      console.error(`argus restore: ${e.message}; nothing was changed`);
      return 1;
    }
    throw e;
  } finally {
    if (upload) for (const f of [upload, `${upload}-wal`, `${upload}-shm`, `${upload}-journal`]) rmSync(f, { force: true });
  }
}
