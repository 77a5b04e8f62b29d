// Restoring a backup into the live database (POST /api/restore and `argus restore FILE`): only an
// intact Argus database no newer than this version is accepted; the current state is kept as a dated
// copy first; the swap is one SQLite transaction (every table emptied and refilled from the upload), so
// readers see the old database or the restored one, never a mix, and every open handle stays valid.
import { Database, SQLiteError } from "bun:sqlite";
import { chownSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { stamp } from "../export/devices.ts";
import { snapshotDatabase } from "./backup.ts";
import { APPLICATION_ID, LATEST_VERSION, migrate } from "./migrations.ts";

/** Tables every Argus database has had since its first versions. */
const CORE_TABLES = ["users", "sessions", "api_keys", "audit_logs", "scans", "devices", "changes"];
/** The version that started stamping application_id; older files are recognised by their tables. */
const STAMPED_SINCE = 10;

export class RestoreError extends Error {
  constructor(
    readonly status: 400 | 409 | 413 | 422,
    message: string,
  ) {
    super(message);
  }
}

/** Checks an uploaded file without changing it; returns its schema version. */
export function inspectBackup(path: string): number {
  let copy: Database;
  try {
    copy = new Database(path, { readonly: true });
  } catch {
    throw new RestoreError(422, "The file is not an SQLite database");
  }
  try {
    let check: { integrity_check: string }[];
    try {
      check = copy.query("PRAGMA integrity_check").all() as { integrity_check: string }[];
    } catch (e) {
      throw new RestoreError(422, `The file is not a readable SQLite database: ${(e as Error).message}`);
    }
    if (check.length !== 1 || check[0].integrity_check !== "ok") {
      throw new RestoreError(422, `The database failed the integrity check: ${check.slice(0, 3).map((r) => r.integrity_check).join("; ")}`);
    }
    const version = (copy.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    const appId = (copy.query("PRAGMA application_id").get() as { application_id: number }).application_id;
    const tables = new Set((copy.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const missing = CORE_TABLES.filter((t) => !tables.has(t));
    if (missing.length > 0 || version < 3 || (appId !== APPLICATION_ID && !(appId === 0 && version < STAMPED_SINCE))) {
      throw new RestoreError(422, "The file is an SQLite database but not an Argus backup");
    }
    if (version > LATEST_VERSION) {
      throw new RestoreError(422, `The backup has schema version ${version}, newer than this Argus knows (${LATEST_VERSION}); restore it with a newer Argus`);
    }
    return version;
  } finally {
    copy.close();
  }
}

/**
 * Everything that can refuse a backup, run before anything is paused or changed: the file's checks,
 * its migration to our schema (in place: `upload` is a file the caller owns), and a rehearsal of the
 * swap in a transaction that is rolled back (rows the live schema refuses). Returns its schema version.
 */
export function prepareRestore(db: Database, upload: string): number {
  const version = inspectBackup(upload);
  // Bring the upload to our schema first: then both sides have the same tables and columns.
  const working = new Database(upload, { readwrite: true, strict: true });
  try {
    working.run("PRAGMA journal_mode = DELETE");
    try {
      migrate(working);
    } catch (e) {
      // Its version said it could be migrated, but its tables did not agree: not a backup we can take.
      throw new RestoreError(422, `The backup could not be brought to this Argus's schema: ${(e as Error).message}`);
    }
  } finally {
    working.close();
  }
  rmSync(`${upload}-wal`, { force: true });
  rmSync(`${upload}-shm`, { force: true });
  try {
    withAttached(db, upload, () => swapIn(db, { rehearse: true }));
  } catch (e) {
    if (!(e instanceof Rehearsed)) throw e;
  }
  return version;
}

/**
 * Replaces the content of `db` with the backup at `upload`. Keeps the current database as
 * `argus-before-restore-YYYYMMDD-HHMMSS.db` in `dataDir` first. `prepared`: prepareRestore() already ran.
 */
export function restoreInto(db: Database, upload: string, dataDir: string, prepared?: number): { devices: number; schema_version: number; kept_as: string } {
  const version = prepared ?? prepareRestore(db, upload);
  const keptAs = join(dataDir, `argus-before-restore-${stamp()}.db`);
  snapshotDatabase(db, keptAs);
  // `sudo argus restore`: the kept copy belongs to whoever owns the database (the service's user).
  if (process.getuid?.() === 0 && db.filename) {
    const owner = statSync(db.filename);
    chownSync(keptAs, owner.uid, owner.gid);
  }
  try {
    withAttached(db, upload, () => swapIn(db, { rehearse: false }));
  } catch (e) {
    // The transaction rolled back: the live database is as it was, so its kept copy is not needed.
    rmSync(keptAs, { force: true });
    throw e;
  }
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  const devices = (db.query("SELECT count(*) AS n FROM devices").get() as { n: number }).n;
  return { devices, schema_version: version, kept_as: keptAs };
}

function withAttached(db: Database, upload: string, fn: () => void): void {
  db.run("ATTACH DATABASE ? AS restored", [upload]);
  try {
    fn();
  } catch (e) {
    // Same tables and columns, but rows the live schema refuses (types, NOT NULL, CHECK, foreign keys).
    if (e instanceof SQLiteError && /^SQLITE_(CONSTRAINT|MISMATCH)/.test(String(e.code))) {
      throw new RestoreError(422, `The backup's rows do not fit this Argus's schema: ${e.message}`);
    }
    throw e;
  } finally {
    db.run("DETACH DATABASE restored");
  }
}

class Rehearsed extends Error {}

/**
 * Empties every table of `main` and refills it from the attached `restored`, in one transaction;
 * a rehearsal rolls it back once every row went in (and the deferred foreign keys were checked).
 */
function swapIn(db: Database, opts: { rehearse: boolean }): void {
  const tables = (db.query("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  const theirs = (db.query("SELECT name FROM restored.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  if (tables.join() !== theirs.join()) throw new RestoreError(422, "The backup's tables do not match this Argus's, even after migrating it");
  const columns = (schema: string, table: string) =>
    (db.query(`PRAGMA ${schema}.table_info("${table}")`).all() as { name: string }[]).map((c) => `"${c.name}"`).join(", ");
  db.transaction(() => {
    // Checked at commit: rows arrive table by table, not in reference order.
    db.run("PRAGMA defer_foreign_keys = ON");
    for (const t of tables) db.run(`DELETE FROM main."${t}"`);
    for (const t of tables) {
      const cols = columns("main", t);
      if (cols !== columns("restored", t)) throw new RestoreError(422, `The backup's table ${t} does not match this Argus's`);
      db.run(`INSERT INTO main."${t}" (${cols}) SELECT ${cols} FROM restored."${t}"`);
    }
    if (opts.rehearse) {
      // Deferred foreign keys are checked at commit; count the violations now instead.
      if (db.query("PRAGMA main.foreign_key_check").all().length > 0) throw new RestoreError(422, "The backup's rows do not fit this Argus's schema: a reference points at nothing");
      throw new Rehearsed();
    }
  }).immediate();
}
