// The SQLite file: connection settings, migrations by PRAGMA user_version, upgrades without loss.
import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configure } from "../../src/db/database.ts";
import { DB_FILE, openDatabase } from "../../src/db/database.ts";
import { LATEST_VERSION, migrate, migrations, SchemaTooNewError } from "../../src/db/migrations.ts";
import { Client, startTestServer, ADMIN } from "../helpers/server.ts";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "argus-db-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const version = (db: Database) => (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;

describe("database", () => {
  test("opens in WAL mode with foreign keys and a busy timeout, migrated to the latest schema", () => {
    const db = openDatabase(tempDir());
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    expect((db.query("PRAGMA busy_timeout").get() as Record<string, number>).timeout).toBe(5000);
    expect(version(db)).toBe(LATEST_VERSION);
    db.close();
  });

  test("migrations are numbered 1..N with no gaps", () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  });

  test("re-opening applies nothing twice", () => {
    const dir = tempDir();
    openDatabase(dir).close();
    const db = new Database(join(dir, DB_FILE));
    configure(db);
    expect(migrate(db)).toEqual([]);
    db.close();
  });

  test("a database from an older version migrates without losing its data", async () => {
    const dir = tempDir();
    // Build a version-1 database as an older Argus would have left it, with a user and a key.
    const old = new Database(join(dir, DB_FILE), { create: true });
    configure(old);
    expect(migrate(old, 1)).toEqual([1]);
    const hash = await Bun.password.hash(ADMIN.password, { algorithm: "argon2id" });
    old.run("INSERT INTO users (username, password_hash, created_at, updated_at) VALUES ('admin', ?, '2024-01-15T10:30:00Z', '2024-01-15T10:30:00Z')", [hash]);
    const key = "argus_" + "k".repeat(43);
    const digest = new Bun.CryptoHasher("sha256").update(key).digest();
    old.run("INSERT INTO api_keys (name, key_prefix, key_digest, created_at) VALUES ('Home Assistant', 'argus_kk', ?, '2024-01-15T10:30:00Z')", [digest]);
    old.close();

    // The current server starts on it, migrates, and both the login and the key still work.
    const server = await startTestServer({ ARGUS_DATA_DIR: dir });
    try {
      expect(version(server.ctx.db)).toBe(LATEST_VERSION);
      const keys = await new Client(server.url).get("/api/keys", { "X-API-Key": key });
      expect(keys.status).toBe(200);
      expect(keys.body).toEqual([expect.objectContaining({ id: 1, name: "Home Assistant", key_prefix: "argus_kk", created_at: "2024-01-15T10:30:00Z" })]);
      const login = await new Client(server.url).post("/api/auth/login", ADMIN);
      expect(login.status).toBe(200);
      // Tables added by later migrations work too.
      const audit = await new Client(server.url).get("/api/audit-logs", { "X-API-Key": key });
      expect(audit.status).toBe(200);
      expect(audit.body[0].action).toBe("login");
    } finally {
      await server.stop();
    }
  });

  test("a failing migration rolls back entirely and leaves the version unchanged", () => {
    const db = new Database(":memory:");
    migrations.push({ version: LATEST_VERSION + 1, description: "broken", sql: "CREATE TABLE half_done (x); SELECT * FROM no_such_table;" });
    try {
      expect(() => migrate(db, LATEST_VERSION + 1)).toThrow();
      expect(version(db)).toBe(0);
      expect(db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([]);
    } finally {
      migrations.pop();
      db.close();
    }
  });

  test("a database newer than this Argus is refused with a clear error, not damaged", () => {
    const dir = tempDir();
    const db = new Database(join(dir, DB_FILE), { create: true });
    db.run(`PRAGMA user_version = ${LATEST_VERSION + 5}`);
    db.close();
    expect(() => openDatabase(dir)).toThrow(SchemaTooNewError);
    expect(() => openDatabase(dir)).toThrow(/newer than this Argus knows/);
  });
});
