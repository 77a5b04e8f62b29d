// Restoring a backup into the live database, the one procedure behind POST /api/restore and
// `argus restore FILE`. Only an intact Argus database no newer than this version, with exactly our
// schema of its version, is accepted (checked off the event loop: backup-check.ts); the current state
// is kept as a dated copy first (the last KEPT_COPIES of them); the swap is one SQLite transaction
// (tables emptied and refilled from the upload), so readers see the old database or the restored one,
// never a mix, and every open handle stays valid.
//
// What a restore may replace is the caller's choice: an upload through the API never replaces who may
// log in (users, sessions, API keys) nor the record of what was done (the audit log), so a file edited
// by a key holder cannot plant a password or a key, or erase the trail. Only the local `argus restore`
// (root, service stopped) restores everything.
import { Database, SQLiteError } from "bun:sqlite";
import { chownSync, closeSync, openSync, readdirSync, rmSync, statSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { stamp } from "../export/devices.ts";
import { snapshotDatabase } from "./backup.ts";
import { checkInChild } from "./backup-check.ts";
import { RestoreError } from "./restore-error.ts";

export { RestoreError } from "./restore-error.ts";

/** What an upload through the API leaves as it is: credentials and the audit trail. */
export const LIVE_TABLES = ["users", "sessions", "api_keys", "audit_logs"] as const;
/** How many copies of replaced databases are kept in the data directory. */
export const KEPT_COPIES = 3;
const KEPT = /^argus-before-restore-(\d{8}-\d{6})(?:-(\d+))?\.db$/;

export type RestoreOptions = {
  /** Tables whose live rows stay, whatever the file holds (the API: LIVE_TABLES; `argus restore`: none). */
  keepLive: readonly string[];
  /** Time limit for checking the file. */
  checkTimeoutMs: number;
  /** Runs once the file passed every check, right before the swap (the server stops its writers here). */
  beforeSwap?: () => void | Promise<void>;
};

export type RestoreResult = { devices: number; schema_version: number; kept_as: string };

/**
 * Replaces the content of `db` with the backup at `upload` (a file the caller owns: it is migrated in
 * place). Everything that can refuse the file runs before `beforeSwap`, so a refused restore changes
 * nothing and stops nothing.
 */
export async function restoreBackup(db: Database, upload: string, dataDir: string, opts: RestoreOptions): Promise<RestoreResult> {
  requireSpace(dataDir, statSync(upload).size, true);
  const version = await checkInChild(upload, opts.checkTimeoutMs);
  for (const f of [`${upload}-wal`, `${upload}-shm`, `${upload}-journal`]) rmSync(f, { force: true });
  // A rehearsal of the swap, rolled back: rows the live schema refuses (constraints, references).
  try {
    withAttached(db, upload, () => swapIn(db, { rehearse: true, keep: opts.keepLive }), true);
  } catch (e) {
    if (!(e instanceof Rehearsed)) throw e;
  }
  await opts.beforeSwap?.();
  const keptAs = keepCopy(db, dataDir);
  try {
    withAttached(db, upload, () => swapIn(db, { rehearse: false, keep: opts.keepLive }), false);
  } catch (e) {
    // The transaction rolled back: the live database is as it was, so its kept copy is not needed.
    rmSync(keptAs, { force: true });
    throw e;
  }
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  pruneKeptCopies(dataDir);
  const devices = (db.query("SELECT count(*) AS n FROM devices").get() as { n: number }).n;
  return { devices, schema_version: version, kept_as: keptAs };
}

/**
 * 507 unless the data directory has room for a file of `bytes` twice over (the migrated upload and the
 * kept copy of the current database). `written`: the file is already there, so once over is enough.
 */
export function requireSpace(dataDir: string, bytes: number, written = false): void {
  let free: number;
  try {
    const fs = statfsSync(dataDir);
    free = Number(fs.bavail) * Number(fs.bsize);
  } catch {
    return; // no answer from the file system: the swap's own errors will tell
  }
  if (free < (written ? 1 : 2) * bytes) {
    throw new RestoreError(507, `Not enough free space in the data directory: a restore of ${bytes} bytes needs ${2 * bytes} bytes free`);
  }
}

/** Keeps the current database as argus-before-restore-YYYYMMDD-HHMMSS[-N].db: a name no earlier copy has. */
function keepCopy(db: Database, dataDir: string): string {
  const base = `argus-before-restore-${stamp()}`;
  let keptAs = "";
  for (let n = 1; ; n++) {
    keptAs = join(dataDir, n === 1 ? `${base}.db` : `${base}-${n}.db`);
    try {
      // Reserve the name (exclusive create); the snapshot then replaces the empty file.
      closeSync(openSync(keptAs, "wx", 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  try {
    snapshotDatabase(db, keptAs);
  } catch (e) {
    rmSync(keptAs, { force: true });
    throw e;
  }
  // `sudo argus restore`: the kept copy belongs to whoever owns the database (the service's user).
  if (process.getuid?.() === 0 && db.filename) {
    const owner = statSync(db.filename);
    chownSync(keptAs, owner.uid, owner.gid);
  }
  return keptAs;
}

/** Removes all but the newest KEPT_COPIES kept copies (by their time stamp, then their number). */
export function pruneKeptCopies(dataDir: string): string[] {
  const copies = readdirSync(dataDir)
    .map((name) => ({ name, m: KEPT.exec(name) }))
    .filter((c) => c.m !== null)
    .map((c) => ({ name: c.name, key: `${c.m![1]}-${(c.m![2] ?? "1").padStart(6, "0")}` }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const removed = copies.slice(0, Math.max(0, copies.length - KEPT_COPIES)).map((c) => c.name);
  for (const name of removed) rmSync(join(dataDir, name), { force: true });
  return removed;
}

/** Runs `fn` with the upload attached as `restored`; SQLite's refusals become the restore's. */
function withAttached(db: Database, upload: string, fn: () => void, rehearsal: boolean): void {
  try {
    db.run("ATTACH DATABASE ? AS restored", [upload]);
  } catch (e) {
    throw new RestoreError(422, `The backup could not be opened: ${(e as Error).message}`);
  }
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SQLiteError)) throw e;
    const code = String(e.code);
    // Same tables and columns, but rows the live schema refuses (types, NOT NULL, CHECK, foreign keys).
    if (/^SQLITE_(CONSTRAINT|MISMATCH)/.test(code)) throw new RestoreError(422, `The backup's rows do not fit this Argus's schema: ${e.message}`);
    if (/^SQLITE_FULL/.test(code)) throw new RestoreError(507, "Not enough free space in the data directory to restore this backup");
    // In the rehearsal only the upload can be at fault (anything but a busy live database).
    if (rehearsal && !/^SQLITE_(BUSY|LOCKED)/.test(code)) throw new RestoreError(422, `The backup could not be read: ${e.message}`);
    throw e;
  } finally {
    db.run("DETACH DATABASE restored");
  }
}

class Rehearsed extends Error {}

/**
 * Empties every table of `main` but the kept ones and refills it from the attached `restored`, in one
 * transaction; a rehearsal rolls it back once every row went in (and the foreign keys were checked).
 */
function swapIn(db: Database, opts: { rehearse: boolean; keep: readonly string[] }): void {
  const tables = (db.query("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  const theirs = (db.query("SELECT name FROM restored.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  if (tables.join() !== theirs.join()) throw new RestoreError(422, "The backup's tables do not match this Argus's, even after migrating it");
  const replaced = tables.filter((t) => !opts.keep.includes(t));
  const columns = (schema: string, table: string) =>
    (db.query(`PRAGMA ${schema}.table_info("${table}")`).all() as { name: string }[]).map((c) => `"${c.name}"`).join(", ");
  db.transaction(() => {
    // Checked at commit: rows arrive table by table, not in reference order.
    db.run("PRAGMA defer_foreign_keys = ON");
    for (const t of replaced) db.run(`DELETE FROM main."${t}"`);
    for (const t of replaced) {
      const cols = columns("main", t);
      if (cols !== columns("restored", t)) throw new RestoreError(422, `The backup's table ${t} does not match this Argus's`);
      db.run(`INSERT INTO main."${t}" (${cols}) SELECT ${cols} FROM restored."${t}"`);
    }
    // AUTOINCREMENT counters (device ids are never reused) go on from the higher of both files': the
    // backup's ids of devices forgotten before it was taken stay used. Only a counter an id can reach
    // is taken: one near 2^63 would make every later insert fail.
    db.run(`UPDATE main.sqlite_sequence SET seq = max(seq, coalesce((SELECT r.seq FROM restored.sqlite_sequence r
              WHERE r.name = main.sqlite_sequence.name AND typeof(r.seq) = 'integer' AND r.seq BETWEEN 0 AND 9007199254740991), 0))`);
    if (opts.rehearse) {
      // Deferred foreign keys are checked at commit; count the violations now instead.
      if (db.query("PRAGMA main.foreign_key_check").all().length > 0) throw new RestoreError(422, "The backup's rows do not fit this Argus's schema: a reference points at nothing");
      throw new Rehearsed();
    }
  }).immediate();
}
