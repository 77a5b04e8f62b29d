// A consistent snapshot of the live database with `VACUUM INTO`: it reads inside one transaction,
// so the copy is exactly the state at one instant, and in WAL mode the server keeps writing
// meanwhile. Shared by `argus backup FILE` and the backup API.
import { Database } from "bun:sqlite";
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, basename } from "node:path";

export type Snapshot = { path: string; bytes: number; schemaVersion: number };

export class BackupError extends Error {}

/**
 * Writes a snapshot of `db` to `dest` (mode 0600: it holds password hashes and key digests, unless
 * `withoutCredentials`).
 * The copy is made beside `dest` under a temporary name, checked, flushed, then renamed into
 * place, so `dest` is never a half-written file. Replaces an existing `dest`.
 */
export function snapshotDatabase(db: Database, dest: string, opts: { withoutCredentials?: boolean } = {}): Snapshot {
  // Renaming a snapshot over the live file would pull the database out from under the server.
  if (db.filename && existsSync(dest) && realpathSync(dest) === realpathSync(db.filename)) {
    throw new BackupError(`${dest} is the live database itself; choose another file`);
  }
  const tmp = join(dirname(dest), `.${basename(dest)}.partial-${process.pid}`);
  rmSync(tmp, { force: true });
  try {
    db.run("VACUUM INTO ?", [tmp]);
    if (opts.withoutCredentials) removeCredentials(tmp);
    const schemaVersion = checkSnapshot(tmp);
    chmodSync(tmp, 0o600);
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, dest);
    return { path: dest, bytes: statSync(dest).size, schemaVersion };
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e instanceof BackupError ? e : new BackupError(`cannot write the backup to ${dest}: ${(e as Error).message}`);
  }
}

/**
 * Takes the credentials out of a snapshot (GET /api/backup): password hashes blanked (the user rows
 * stay, so a restored file still has its administrator and does not reopen setup; a password is set
 * again with `argus user reset-password`), API keys and sessions removed. secure_delete overwrites
 * the freed bytes, so the hashes are not left in free pages of the file either.
 */
function removeCredentials(path: string): void {
  const copy = new Database(path, { readwrite: true });
  try {
    copy.run("PRAGMA secure_delete = ON");
    copy.transaction(() => {
      copy.run("UPDATE users SET password_hash = ''");
      copy.run("DELETE FROM api_keys");
      copy.run("DELETE FROM sessions");
    })();
  } finally {
    copy.close();
  }
}

/** Verifies a database file (a snapshot, or an upload to restore); returns its schema version. */
export function checkSnapshot(path: string): number {
  let copy: Database;
  try {
    copy = new Database(path, { readonly: true });
  } catch (e) {
    throw new BackupError(`${path} is not an SQLite database: ${(e as Error).message}`);
  }
  try {
    const check = copy.query("PRAGMA quick_check").all() as { quick_check: string }[];
    if (check.length !== 1 || check[0].quick_check !== "ok") {
      throw new BackupError(`${path} failed the integrity check: ${check.map((r) => r.quick_check).join("; ")}`);
    }
    return (copy.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  } catch (e) {
    throw e instanceof BackupError ? e : new BackupError(`${path} is not a readable database: ${(e as Error).message}`);
  } finally {
    copy.close();
  }
}
