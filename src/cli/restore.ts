// `argus restore FILE`: the complete restore, for root with the service stopped. The same procedure as
// POST /api/restore (src/db/restore.ts), but it also takes the file's users, sessions, API keys and
// audit log, which an upload through the API never replaces.
import { copyFileSync, existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadSettings } from "../config/settings.ts";
import { restoreBackup } from "../db/restore.ts";
import { AuditLog } from "../audit/audit-log.ts";
import { FileLock, scanLockPath, serveLockPath } from "../db/file-lock.ts";
import { openExisting, resolveDataDir, takeDataDir } from "./database.ts";
import { CliError, EXIT } from "./errors.ts";

export const USAGE = `Usage: argus restore FILE [--data-dir DIR]

Replaces the Argus database with the backup FILE (from argus backup or GET /api/backup). Stop the
service first. Only an intact Argus database not newer than this version is accepted; the current
database is kept beside it as argus-before-restore-YYYYMMDD-HHMMSS.db (the last 3 are kept).
Unlike a restore through the web UI, this one also replaces users, API keys and the audit log with
the file's. A file downloaded from the web UI holds no passwords or keys: set a password afterwards
with argus user reset-password.`;

export async function run(argv: string[]): Promise<number> {
  const { dataDir: flag, rest } = takeDataDir(argv);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const unknown = rest.find((a) => a.startsWith("-"));
  if (unknown) throw new CliError(`unknown option ${unknown}`, EXIT.usage);
  if (rest.length !== 1) throw new CliError("give exactly one backup FILE", EXIT.usage);
  const source = resolve(rest[0]);
  if (!existsSync(source)) throw new CliError(`${source} does not exist`, EXIT.nothing);
  const dataDir = resolveDataDir(flag);
  const db = openExisting(dataDir);
  // Work on a copy: the restore migrates it, and FILE stays as it was.
  const upload = join(dataDir, `.restore-${process.pid}.db`);
  try {
    // The service holds its lock while it runs (it would go on with the database swapped under it), and
    // a scan holds the scan lock (argus scan); a row left `running` by a dead process holds nothing.
    if (new FileLock(serveLockPath(db.filename)).heldElsewhere()) throw new CliError("the service is running on this data directory: stop it first (systemctl stop argus), or restore through the web UI / POST /api/restore");
    if (new FileLock(scanLockPath(db.filename)).heldElsewhere()) throw new CliError("a scan is running (argus scan): wait for it or stop it first");
    copyFileSync(source, upload);
    const result = await restoreBackup(db, upload, dataDir, { keepLive: [], checkTimeoutMs: loadSettings(process.env).restoreCheckSeconds * 1000 });
    new AuditLog(db).record({ username: process.env.SUDO_USER ?? process.env.USER ?? "root", ip: null, userAgent: "argus restore" }, "restore_completed", {
      details: { devices: result.devices, schema_version: result.schema_version, previous_kept_as: result.kept_as },
    });
    console.log(`restored ${source}: ${result.devices} device(s); the previous database is kept as ${result.kept_as}`);
    return EXIT.ok;
  } finally {
    db.close();
    for (const f of [upload, `${upload}-wal`, `${upload}-shm`, `${upload}-journal`]) rmSync(f, { force: true });
  }
}
