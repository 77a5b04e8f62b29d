// snapshotDatabase: a consistent copy, never a half-written file, never over the live database. The
// API's download carries no credentials; the local one is complete.
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BackupError, snapshotDatabase } from "../../src/db/backup.ts";
import { DB_FILE, openDatabase } from "../../src/db/database.ts";
import { LATEST_VERSION } from "../../src/db/migrations.ts";
import { Scratch } from "../helpers/scratch.ts";
import { adminWithKey, startTestServer } from "../helpers/server.ts";

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

test("GET /api/backup leaves out password hashes, key digests and sessions; argus backup keeps them", async () => {
  const server = await startTestServer();
  try {
    const { key } = await adminWithKey(server);
    const live = server.ctx.db;
    const hash = (live.query("SELECT password_hash FROM users").get() as { password_hash: string }).password_hash;
    const digests = (live.query("SELECT key_digest FROM api_keys").all() as { key_digest: Uint8Array }[]).map((r) => Buffer.from(r.key_digest));
    const tokens = (live.query("SELECT token_hash FROM sessions").all() as { token_hash: string }[]).map((r) => r.token_hash);
    expect(hash).toStartWith("$argon2id$");
    expect(digests.length).toBe(1);
    expect(tokens.length).toBe(1);

    const res = await fetch(`${server.url}/api/backup`, { headers: { "X-API-Key": key } });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    // Not in any row, and not left behind in a free page either.
    expect(bytes.includes(hash)).toBe(false);
    for (const d of digests) expect(bytes.includes(d)).toBe(false);
    for (const t of tokens) expect(bytes.includes(t)).toBe(false);
    const file = join(scratch.dir("argus-api-backup-"), "b.db");
    await Bun.write(file, bytes);
    const copy = new Database(file, { readonly: true });
    // The administrator stays (a restored file does not reopen setup), without a password.
    expect(copy.query("SELECT username, password_hash FROM users").all()).toEqual([{ username: "admin", password_hash: "" }]);
    expect(copy.query("SELECT count(*) AS n FROM api_keys").get()).toEqual({ n: 0 });
    expect(copy.query("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 0 });
    expect((copy.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok");
    copy.close();

    // The local, complete backup.
    const full = snapshotDatabase(live, join(scratch.dir("argus-cli-backup-"), "full.db"));
    expect(readFileSync(full.path).includes(hash)).toBe(true);
  } finally {
    await server.close();
  }
});
