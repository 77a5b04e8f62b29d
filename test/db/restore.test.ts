// Backup and restore through the real API and CLI: a backup taken while a scan runs restores to the
// same device list; every bad upload is refused with the database byte-identical afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LATEST_VERSION } from "../../src/db/migrations.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { ADMIN, adminWithKey, Client, sealedEnv, startTestServer, type TestServer } from "../helpers/server.ts";
import { Scratch } from "../helpers/scratch.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";

const root = requireRoot("scans a namespace test network while taking the backup");
const scratch = new Scratch();
afterAll(() => scratch.clear());

async function download(base: string, key: string, unix?: string): Promise<{ res: Response; bytes: Uint8Array }> {
  const res = await fetch(`${base}/api/backup`, { headers: { "X-API-Key": key }, ...(unix ? { unix } : {}) } as RequestInit);
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

// A restore is sent by a logged-in session confirming its password (SPEC §7).
const CONFIRMED = { "X-Argus-Password": ADMIN.password };
const octets = (body: BodyInit) => ({ body, headers: { "content-type": "application/octet-stream", ...CONFIRMED } });

describe.skipIf(!root)("backup during a scan", () => {
  let net: Testnet;
  let server: NetServer;
  let key: string;
  let session: Client;
  // Each test stands alone (run any one with -t): the net, the appliance and its admin are built here.
  beforeAll(async () => {
    net = await startTestnet({ hosts: 4 });
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    ({ key, session } = await adminWithKey(server));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await net?.down();
  }, 60_000);

  test("a backup taken while a scan runs restores to an identical device list", async () => {
    const api = server.client({ "X-API-Key": key });
    const first = await api.request("POST", "/api/scan/trigger?profile=quick");
    await waitForScan(api, first.body.scan_id);
    const devices = (await api.get("/api/devices")).body;
    expect(devices.length).toBe(4);
    // A normal scan (ports and services) runs while the snapshot is taken.
    const running = await api.request("POST", "/api/scan/trigger?profile=normal");
    expect(running.status).toBe(202);
    const { res, bytes } = await download("http://argus", key, server.socket);
    expect((await api.get("/api/scan/status")).body).toMatchObject({ scanning: true, scan_id: running.body.scan_id });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="argus-\d{8}-\d{6}\.db"$/);
    expect(bytes.byteLength).toBeGreaterThan(4096);
    await waitForScan(api, running.body.scan_id);
    // Change the inventory after the backup, then restore it.
    expect((await api.request("PUT", `/api/devices/${devices[0].id}`, { json: { label: "changed later" } })).status).toBe(200);
    expect((await api.delete(`/api/devices/${devices[1].id}`)).status).toBe(204);
    const restored = await session.request("POST", "/api/restore", octets(bytes));
    expect(restored.status).toBe(200);
    expect(restored.body).toEqual({ restored: true, devices: 4 });
    expect((await api.get("/api/devices")).body).toEqual(devices);
    // The snapshot holds the normal scan as running; after the restore it is marked interrupted.
    expect((await api.get(`/api/scans/${running.body.scan_id}`)).body.status).toBe("interrupted");
    expect((await api.get("/api/scan/status")).body).toEqual({ scanning: false });
    const audit = (await api.get("/api/audit-logs?action=restore_completed")).body;
    expect(audit[0].details.devices).toBe(4);
    expect(readdirSync(server.dataDir).filter((f) => /^argus-before-restore-\d{8}-\d{6}\.db$/.test(f)).length).toBe(1);
    expect(readdirSync(server.dataDir).filter((f) => f.startsWith(".restore") || f.startsWith(".backup"))).toEqual([]);
  }, 120_000);

  test("a refused restore leaves a running scan alone: every check runs before the scan is stopped", async () => {
    const api = server.client({ "X-API-Key": key });
    const { bytes } = await download("http://argus", key, server.socket);
    // The backup's tables claim an older version than they are: its migration fails.
    const bad = new Uint8Array(bytes);
    const file = join(server.dataDir, "..", `bad-${process.pid}.db`);
    writeFileSync(file, bad);
    const db = new Database(file);
    db.run("PRAGMA user_version = 10");
    db.close();
    const running = await api.request("POST", "/api/scan/trigger?profile=normal");
    expect(running.status).toBe(202);
    const refused = await session.request("POST", "/api/restore", octets(readFileSync(file)));
    rmSync(file, { force: true });
    expect(refused.status).toBe(422);
    expect((await api.get("/api/scan/status")).body).toMatchObject({ scanning: true, scan_id: running.body.scan_id });
    expect((await waitForScan(api, running.body.scan_id)).status).toBe("completed");
  }, 120_000);

});

describe("refused restores", () => {
  let server: TestServer;
  let api: Client;
  let session: Client;
  let key: string;
  let good: Uint8Array;
  const files = () => ["argus.db", "argus.db-wal"].map((f) => Bun.hash(readFileSync(join(server.dataDir, f))).toString());

  beforeAll(async () => {
    server = await startTestServer({ ARGUS_MAX_RESTORE_BYTES: String(2 * 1024 * 1024) });
    ({ key, session } = await adminWithKey(server));
    api = new Client(server.url, { "X-API-Key": key });
    server.ctx.db.run("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES ('02:00:00:00:09:01', '10.4.0.1', 'x', 'x')");
    ({ bytes: good } = await download(server.url, key));
    expect((await api.get("/api/audit-logs?action=backup_created")).body[0].details).toMatchObject({ bytes: good.byteLength, schema_version: LATEST_VERSION });
  });
  afterAll(() => server.close());

  const variant = (change: (db: Database) => void): Uint8Array => {
    const path = join(scratch.dir("argus-variant-"), "v.db");
    writeFileSync(path, good);
    const db = new Database(path);
    change(db);
    db.close();
    return new Uint8Array(readFileSync(path));
  };
  const corrupt = () => {
    const bytes = good.slice();
    for (let i = 8192; i < bytes.length - 4096; i += 1024) bytes.fill(0xa5, i, i + 64);
    return bytes;
  };

  const CASES: [string, () => RequestInit & { body?: BodyInit }, number, RegExp][] = [
    ["an empty body", () => ({ headers: { "content-type": "application/octet-stream", ...CONFIRMED } }), 400, /empty/],
    ["a text file", () => octets("hello, this is not a database at all\n".repeat(100)), 422, /not .*SQLite/],
    ["a corrupt database", () => octets(corrupt()), 422, /integrity|malformed|not a readable/],
    ["another program's SQLite database", () => octets(variant((db) => { for (const t of ["changes", "devices"]) db.run(`DROP TABLE ${t}`); })), 422, /not an Argus backup/],
    ["a database from a newer Argus", () => octets(variant((db) => db.run(`PRAGMA user_version = ${LATEST_VERSION + 1}`))), 422, /newer/],
    ["an oversized upload", () => octets(new Uint8Array(3 * 1024 * 1024)), 413, /larger than/],
    ["JSON instead of a file", () => ({ body: "{}", headers: { "content-type": "application/json", ...CONFIRMED } }), 415, /octet-stream/],
    // Not parsed as JSON first (it was a 400 "expected valid JSON"): the type is what is wrong.
    ["the file sent as JSON", () => ({ body: good.slice(), headers: { "content-type": "application/json", ...CONFIRMED } }), 415, /octet-stream/],
    ["an empty body sent as JSON", () => ({ headers: { "content-type": "application/json", ...CONFIRMED } }), 415, /octet-stream/],
  ];
  for (const [what, init, status, detail] of CASES) {
    test(`${what} → ${status}, the database byte-identical`, async () => {
      await api.get("/api/config"); // any write of this key's last use happens before the comparison
      const before = files();
      const res = await session.request("POST", "/api/restore", init() as any);
      expect(res.status).toBe(status);
      expect(res.body.detail).toMatch(detail);
      expect(files()).toEqual(before);
      expect(readdirSync(server.dataDir).filter((f) => f.startsWith(".restore") || f.startsWith("argus-before"))).toEqual([]);
    });
  }

  test("a backup whose tables contradict its version → 422, the database byte-identical", async () => {
    // Claims version 10 but already has version 11's table: migrating it fails.
    const bad = variant((db) => db.run("PRAGMA user_version = 10"));
    const before = files();
    const res = await session.request("POST", "/api/restore", octets(bad));
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/could not be brought to this Argus's schema/);
    expect(files()).toEqual(before);
  });

  test("a backup whose rows break this Argus's constraints → 422, the database byte-identical", async () => {
    // Same tables and column names, but `devices` redeclared without its types and checks, holding rows
    // the live table refuses (a text id, a missing ip_address, a status outside online/offline).
    for (const row of ["(id, ip_address) VALUES ('abc', '10.4.0.9')", "(id) VALUES (5)", "(id, ip_address, status) VALUES (6, '10.4.0.9', 'weird')"]) {
      const hostile = variant((db) => {
        const cols = (db.query("PRAGMA table_info(devices)").all() as { name: string }[]).map((c) => `"${c.name}"`).join(", ");
        db.run("PRAGMA foreign_keys = OFF");
        db.run("DROP TABLE devices");
        db.run(`CREATE TABLE devices (${cols})`);
        db.run(`INSERT INTO devices ${row}`);
      });
      await api.get("/api/config");
      const before = files();
      const res = await session.request("POST", "/api/restore", octets(hostile));
      expect(res.status).toBe(422);
      // A redeclared table is refused before its rows are looked at (the schema must be exactly ours).
      expect(res.body.detail).toMatch(/table devices is declared differently/);
      expect(files()).toEqual(before);
      expect(readdirSync(server.dataDir).filter((f) => f.startsWith(".restore") || f.startsWith("argus-before"))).toEqual([]);
    }
  });

  test("an older backup (schema version 9) is migrated on restore", async () => {
    const old = variant((db) => {
      // Undo migration 29 (a hub's copies of its sensors' scan records).
      for (const i of ["scans_sensor", "scans_segment"]) db.run(`DROP INDEX ${i}`);
      for (const c of ["sensor_instance", "sensor_scan_id"]) db.run(`ALTER TABLE scans DROP COLUMN ${c}`);
      // Undo migration 28 (the MAC each IPv4 history row was heard from).
      db.run("ALTER TABLE device_addresses DROP COLUMN mac");
      // Undo migration 27 (where a device is attached, which source gave its MAC, the subnets a source saw).
      for (const c of ["attached_to", "attached_source", "attached_at", "mac_source"]) db.run(`ALTER TABLE devices DROP COLUMN ${c}`);
      db.run("ALTER TABLE source_state DROP COLUMN subnets");
      // Undo migration 26 (devices rebuilt with AUTOINCREMENT): the table as declared before, word for
      // word, with its rows and indexes, and without its counter. The old table is moved aside without
      // the references to it following (legacy rename, foreign keys off), as an older file has them.
      const { sql } = db.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'devices'").get() as { sql: string };
      const dependents = db.query("SELECT sql FROM sqlite_master WHERE tbl_name = 'devices' AND type IN ('index', 'trigger') AND sql IS NOT NULL").all() as { sql: string }[];
      const columns = (db.query("PRAGMA table_info(devices)").all() as { name: string }[]).map((c) => c.name).join(", ");
      db.run("PRAGMA foreign_keys = OFF");
      db.run("PRAGMA legacy_alter_table = ON");
      db.run("ALTER TABLE devices RENAME TO devices_v26");
      db.run(sql.replace(" PRIMARY KEY AUTOINCREMENT,", " PRIMARY KEY,").replace('CREATE TABLE "devices"', "CREATE TABLE devices"));
      db.run(`INSERT INTO devices (${columns}) SELECT ${columns} FROM devices_v26`);
      db.run("DROP TABLE devices_v26");
      for (const d of dependents) db.run(d.sql);
      db.run("DELETE FROM sqlite_sequence WHERE name = 'devices'");
      // Undo migration 22 (sources' state, a device's names by source).
      db.run("DROP TABLE source_state");
      db.run("DROP TABLE device_names");
      // Undo migration 23 (segments: outbox, sensor state, the segment columns).
      for (const t of ["segment_outbox", "segment_state", "segment_sensors"]) db.run(`DROP TABLE ${t}`);
      db.run("DROP INDEX devices_segment");
      for (const t of ["devices", "changes", "scans"]) db.run(`ALTER TABLE ${t} DROP COLUMN segment`);
      // Undo migration 25 (MACs split apart), 24 (the MAC of each IPv6 address: a column of device_ip6), 21 (IPv6 addresses) and 20 (a device's several MACs).
      db.run("DROP TABLE mac_splits");
      db.run("DROP TABLE device_ip6");
      db.run("DROP TABLE device_macs");
      // Undo migration 19 (the owner's type and icon, the type's evidence), 18 (notify_on) and 17 (presence_mode).
      for (const c of ["type_override", "icon", "device_type_evidence", "notify_on", "presence_mode"]) db.run(`ALTER TABLE devices DROP COLUMN ${c}`);
      // Undo migration 16, then 15 (its indexes use columns of 12), 14, 13, 12, 11 and 10.
      db.run("DROP TABLE presence_sessions");
      for (const i of ["devices_rotation_hostname", "devices_rotation_dhcp", "devices_rotation_services"]) db.run(`DROP INDEX ${i}`);
      for (const c of ["hostname_key", "service_fingerprint", "announce_after_ms"]) db.run(`ALTER TABLE devices DROP COLUMN ${c}`);
      db.run("DROP TABLE mac_links");
      for (const c of ["trust_pending", "mdns_name"]) db.run(`ALTER TABLE devices DROP COLUMN ${c}`);
      db.run("ALTER TABLE api_keys DROP COLUMN scope");
      for (const c of ["device_type_source", "os_source", "model", "dhcp_fingerprint", "mdns_services"]) db.run(`ALTER TABLE devices DROP COLUMN ${c}`);
      db.run("DROP TABLE notifications");
      db.run("DROP TABLE schedule_runs");
      db.run("DROP INDEX audit_logs_timestamp");
      db.run("DROP INDEX devices_last_scan");
      db.run("PRAGMA application_id = 0");
      db.run("PRAGMA user_version = 9");
    });
    // Restored into an appliance of its own: the shared one stays as the refusal tests expect it, in any order.
    const own = await startTestServer();
    try {
      const admin = await adminWithKey(own);
      const res = await admin.session.request("POST", "/api/restore", octets(old));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ restored: true, devices: 1 });
      expect((await new Client(own.url, { "X-API-Key": admin.key }).get("/api/schedule")).status).toBe(200);
      // Migrated through 26: device ids count on from the restored ones.
      const { id } = own.ctx.db.query("SELECT max(id) AS id FROM devices").get() as { id: number };
      expect(own.ctx.db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES ('02:00:00:00:09:0a', '10.4.0.10', 'x', 'x') RETURNING id").get()).toEqual({ id: id + 1 });
    } finally {
      await own.close();
    }
  });

  test("a restore keeps every device id used: the backup's counter carries over, not only its rows", async () => {
    // The backup had a device 40, forgotten before the backup was taken.
    const forgotten = variant((db) => {
      db.run("INSERT INTO devices (id, mac_address, ip_address, first_seen, last_seen) VALUES (40, '02:00:00:00:09:40', '10.4.0.40', 'x', 'x')");
      db.run("DELETE FROM devices WHERE id = 40");
    });
    const own = await startTestServer();
    try {
      const admin = await adminWithKey(own);
      expect((await admin.session.request("POST", "/api/restore", octets(forgotten))).status).toBe(200);
      expect(own.ctx.db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES ('02:00:00:00:09:41', '10.4.0.41', 'x', 'x') RETURNING id").get()).toEqual({ id: 41 });
    } finally {
      await own.close();
    }
  });
});

describe("argus restore FILE", () => {
  test("restores a backup into a stopped appliance's data dir and keeps the old database", async () => {
    const dir = scratch.dir("argus-cli-restore-");
    const server = await startTestServer({ ARGUS_DATA_DIR: dir });
    const { key } = await adminWithKey(server);
    server.ctx.db.run("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES ('02:00:00:00:09:02', '10.4.0.2', 'x', 'x')");
    const { bytes } = await download(server.url, key);
    server.ctx.db.run("DELETE FROM devices");
    await server.stop();
    const file = join(scratch.dir("argus-cli-file-"), "backup.db");
    writeFileSync(file, bytes);
    const run = Bun.spawnSync([process.execPath, resolve(import.meta.dir, "../../src/main.ts"), "restore", file, "--data-dir", dir], { env: sealedEnv(), stdout: "pipe", stderr: "pipe" });
    expect(run.stderr.toString()).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout.toString()).toMatch(/restored .*: 1 device\(s\); the previous database is kept as .*argus-before-restore-/);
    const db = new Database(join(dir, "argus.db"), { readonly: true });
    expect(db.query("SELECT ip_address FROM devices").all()).toEqual([{ ip_address: "10.4.0.2" }]);
    db.close();
    const bad = Bun.spawnSync([process.execPath, resolve(import.meta.dir, "../../src/main.ts"), "restore", resolve(import.meta.dir, "restore.test.ts"), "--data-dir", dir], { env: sealedEnv(), stderr: "pipe" });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr.toString()).toContain("nothing was changed");
  });

  test("refuses while the service runs on the data directory, and changes nothing", async () => {
    const dir = scratch.dir("argus-cli-restore-live-");
    const server = await startTestServer({ ARGUS_DATA_DIR: dir });
    try {
      const { key } = await adminWithKey(server);
      const { bytes } = await download(server.url, key);
      const file = join(scratch.dir("argus-cli-file-"), "backup.db");
      writeFileSync(file, bytes);
      const run = Bun.spawnSync([process.execPath, resolve(import.meta.dir, "../../src/main.ts"), "restore", file, "--data-dir", dir], { env: sealedEnv(), stdout: "pipe", stderr: "pipe" });
      expect(run.exitCode).toBe(1);
      expect(run.stderr.toString()).toContain("the service is running on this data directory");
      expect(readdirSync(dir).filter((f) => f.startsWith("argus-before-restore"))).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
