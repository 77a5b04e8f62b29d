// snapshotDatabase: a consistent copy, never a half-written file, never over the live database.
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { BackupError, snapshotDatabase } from "../../src/db/backup.ts";
import { DB_FILE, openDatabase } from "../../src/db/database.ts";
import { LATEST_VERSION } from "../../src/db/migrations.ts";
import { Scratch } from "../helpers/scratch.ts";

const scratch = new Scratch();
afterAll(() => scratch.clear());

test("a snapshot is a checked copy with mode 0600 at the schema version", async () => {
  const dir = scratch.dir("argus-backup-");
  const db = openDatabase(dir);
  db.run("INSERT INTO users (username, password_hash, created_at, updated_at) VALUES ('admin', 'x', 'now', 'now')");
  const snap = snapshotDatabase(db, join(dir, "copy.db"));
  expect(snap.schemaVersion).toBe(LATEST_VERSION);
  expect(((await Bun.file(snap.path).stat()).mode & 0o777)).toBe(0o600);
  const copy = new Database(snap.path, { readonly: true });
  expect(copy.query("SELECT username FROM users").all()).toEqual([{ username: "admin" }]);
  copy.close();
  db.close();
});

test("the live database file itself is refused as the destination, and stays intact", () => {
  const dir = scratch.dir("argus-backup-");
  const db = openDatabase(dir);
  db.run("INSERT INTO users (username, password_hash, created_at, updated_at) VALUES ('admin', 'x', 'now', 'now')");
  expect(() => snapshotDatabase(db, join(dir, DB_FILE))).toThrow(BackupError);
  expect(() => snapshotDatabase(db, join(dir, ".", DB_FILE))).toThrow(/live database itself/);
  expect(db.query("SELECT count(*) AS n FROM users").get()).toEqual({ n: 1 });
  db.close();
});
