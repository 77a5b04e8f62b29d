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

  test("migration 26 rebuilds devices with AUTOINCREMENT, keeping every row, index, trigger and reference", () => {
    const db = new Database(":memory:", { strict: true });
    db.run("PRAGMA foreign_keys = ON");
    migrate(db, 25);
    db.run("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'quick', '10.0.0.0/24', 'completed', '2024-01-15T10:30:00Z')");
    for (const [id, mac, ip, host] of [
      [2, "02:00:00:00:00:02", "10.0.0.2", "nas.lan"],
      [5, "02:00:00:00:00:05", "10.0.0.5", null],
      [9, "02:00:00:00:00:09", "10.0.0.9", "tv"],
    ] as const) {
      db.run("INSERT INTO devices (id, mac_address, ip_address, hostname, first_seen, last_seen, last_scan_id) VALUES (?, ?, ?, ?, '2024-01-15T10:30:00Z', '2024-01-15T10:30:00Z', 1)", [id, mac, ip, host]);
      db.run("INSERT INTO device_macs (mac, device_id, randomized, first_seen, last_seen) VALUES (?, ?, 0, 'x', 'x')", [mac, id]);
      db.run("INSERT INTO presence_sessions (device_id, started_at, source) VALUES (?, 'x', 'scan')", [id]);
    }
    db.run("INSERT INTO ports (device_id, port, first_seen, last_seen) VALUES (5, 22, 'x', 'x')");
    db.run("INSERT INTO changes (scan_id, device_id, change_type, severity, description, detected_at) VALUES (1, 9, 'new_device', 'info', 'New device', 'x')");
    // Devices since forgotten (12), merged away (14) and split off (13) are in the audit log only.
    db.run("INSERT INTO audit_logs (timestamp, action, resource, success, details) VALUES ('x', 'device_deleted', 'device:12', 1, '{}')");
    db.run("INSERT INTO audit_logs (timestamp, action, resource, success, details) VALUES ('x', 'device_merged', 'device:2', 1, '{\"other_id\": 14}')");
    db.run("INSERT INTO audit_logs (timestamp, action, resource, success, details) VALUES ('x', 'device_split', 'device:5', 1, '{\"new_id\": 13}')");
    db.run("INSERT INTO audit_logs (timestamp, action, resource, success, details) VALUES ('x', 'device_updated', 'device:x', 1, 'not json')");
    // A trigger on devices (none ships; one added later must survive the rebuild).
    db.run("CREATE TABLE device_log (device_id INTEGER)");
    db.run("CREATE TRIGGER devices_logged AFTER INSERT ON devices BEGIN INSERT INTO device_log VALUES (new.id); END");
    const schema = () => db.query("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
    const rows = (t: string) => db.query(`SELECT * FROM ${t} ORDER BY 1, 2`).all();
    const before = { schema: schema(), devices: rows("devices"), macs: rows("device_macs"), ports: rows("ports"), changes: rows("changes"), presence: rows("presence_sessions") };

    expect(migrate(db, 26)).toEqual([26]);
    expect((db.query("SELECT sql FROM sqlite_master WHERE name = 'devices'").get() as { sql: string }).sql).toMatch(/^CREATE TABLE "devices" \(\s*id\s+INTEGER PRIMARY KEY AUTOINCREMENT,/);
    expect({ schema: schema(), devices: rows("devices"), macs: rows("device_macs"), ports: rows("ports"), changes: rows("changes"), presence: rows("presence_sessions") }).toEqual(before);
    expect(db.query("PRAGMA foreign_key_check").all()).toEqual([]);
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    // The references still hold and still act: forgetting a device takes its rows with it.
    const refs = (db.query("SELECT \"table\", \"from\" FROM pragma_foreign_key_list('ports')").all());
    expect(refs).toEqual([{ table: "devices", from: "device_id" }]);
    db.run("DELETE FROM devices WHERE id = 5");
    expect(db.query("SELECT count(*) AS n FROM ports").get()).toEqual({ n: 0 });
    // The sequence starts after the highest id ever used (14, merged away), not after the highest left.
    expect(db.query("SELECT seq FROM sqlite_sequence WHERE name = 'devices'").get()).toEqual({ seq: 14 });
    db.run("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES ('02:00:00:00:00:20', '10.0.0.20', 'x', 'x')");
    expect(db.query("SELECT id FROM devices WHERE ip_address = '10.0.0.20'").get()).toEqual({ id: 15 });
    expect(db.query("SELECT device_id FROM device_log").all()).toEqual([{ device_id: 15 }]);
    db.close();
  });

  test("migration 27 adds where a device is attached, which source gave its MAC and the subnets a source saw, empty for what exists", () => {
    const db = new Database(":memory:", { strict: true });
    migrate(db, 26);
    db.run("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES ('02:00:00:00:00:02', '10.0.0.2', 'x', 'x')");
    db.run("INSERT INTO source_state (name, type, status, devices) VALUES ('router', 'snmp', 'ok', 3)");
    expect(migrate(db, 27)).toEqual([27]);
    expect(db.query("SELECT attached_to, attached_source, attached_at, mac_source FROM devices").all()).toEqual([{ attached_to: null, attached_source: null, attached_at: null, mac_source: null }]);
    expect(db.query("SELECT name, subnets FROM source_state").all()).toEqual([{ name: "router", subnets: "[]" }]);
    db.close();
  });

  test("migration 28 gives each IPv4 history row the MAC it was heard from: its device's primary for what exists", () => {
    const db = new Database(":memory:", { strict: true });
    migrate(db, 27);
    db.run("INSERT INTO devices (id, mac_address, ip_address, first_seen, last_seen) VALUES (1, '02:00:00:00:00:02', '10.0.0.2', 'x', 'x')");
    // A host beyond a router, known by its address only.
    db.run("INSERT INTO devices (id, mac_address, ip_address, first_seen, last_seen) VALUES (2, NULL, '10.1.0.9', 'x', 'x')");
    for (const [id, ip] of [[1, "10.0.0.2"], [1, "10.0.0.3"], [2, "10.1.0.9"]] as const) {
      db.run("INSERT INTO device_addresses (device_id, ip_address, first_seen, last_seen) VALUES (?, ?, 'x', 'x')", [id, ip]);
    }
    expect(migrate(db, 28)).toEqual([28]);
    expect(db.query("SELECT device_id, ip_address, mac FROM device_addresses ORDER BY device_id, ip_address").all()).toEqual([
      { device_id: 1, ip_address: "10.0.0.2", mac: "02:00:00:00:00:02" },
      { device_id: 1, ip_address: "10.0.0.3", mac: "02:00:00:00:00:02" },
      { device_id: 2, ip_address: "10.1.0.9", mac: null },
    ]);
    db.close();
  });

  test("device ids are never reused: three devices, the newest forgotten, the next device gets a new id", async () => {
    const server = await startTestServer();
    try {
      const api = new Client(server.url);
      expect((await api.post("/api/setup", ADMIN)).status).toBe(201);
      const add = (n: number) =>
        Number(server.ctx.db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES (?, ?, '2024-01-15T10:30:00Z', '2024-01-15T10:30:00Z') RETURNING id").get(`02:00:00:00:01:0${n}`, `10.9.0.${n}`)!.id);
      const ids = [add(1), add(2), add(3)];
      expect(ids).toEqual([1, 2, 3]);
      expect((await api.delete("/api/devices/3")).status).toBe(204);
      const next = add(4);
      expect(next).toBe(4);
      expect((await api.get("/api/devices/3")).status).toBe(404);
      expect((await api.get("/api/devices/4")).body.ip_address).toBe("10.9.0.4");
    } finally {
      await server.close();
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
