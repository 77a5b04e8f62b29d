// Retention against the real appliance and database: exactly the rows older than retention_days go,
// in batches; devices stay; /api/stats/db reports the file and row counts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { pruneHistory } from "../../src/retention/prune.ts";
import { adminWithKey, Client, startTestServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let api: Client;
beforeAll(async () => {
  server = await startTestServer();
  const { key } = await adminWithKey(server);
  api = new Client(server.url, { "X-API-Key": key });
});
afterAll(() => server.close());

const DAY = 86_400_000;
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Scans, their sightings and changes, and audit entries at the given ages (in days). */
function seed(db: Database, ages: number[]) {
  const device = Number(db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES (?, '10.1.0.9', ?, ?)").run(`02:00:00:00:00:${String(ages.length).padStart(2, "0")}`, iso(400 * DAY), iso(0)).lastInsertRowid);
  for (const age of ages) {
    const at = iso(age * DAY);
    const scan = Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at, finished_at) VALUES ('network', 'quick', '10.1.0.0/24', 'completed', ?, ?)").run(at, at).lastInsertRowid);
    db.query("INSERT INTO scan_devices (scan_id, device_id, ip_address) VALUES (?, ?, '10.1.0.9')").run(scan, device);
    for (let i = 0; i < 3; i++) {
      db.query("INSERT INTO changes (scan_id, device_id, device_ip, change_type, severity, description, detected_at) VALUES (?, ?, '10.1.0.9', 'port_opened', 'info', 'x', ?)").run(scan, device, at);
    }
    db.query("INSERT INTO audit_logs (timestamp, username, action, success, details) VALUES (?, 'admin', 'login', 1, '{}')").run(at);
  }
  return device;
}

test("POST /api/retention/cleanup removes exactly the rows older than retention_days; devices stay", async () => {
  const db = server.ctx.db;
  expect((await api.request("PUT", "/api/config", { json: { retention_days: 30 } })).status).toBe(200);
  const device = seed(db, [400, 90, 31, 29, 1, 0]);
  const devicesBefore = db.query("SELECT * FROM devices ORDER BY id").all();
  const count = (sql: string) => (db.query(sql).get() as { n: number }).n;
  const auditBefore = count("SELECT count(*) AS n FROM audit_logs");
  const res = await api.post("/api/retention/cleanup");
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ scans: 3, changes: 9, audit: 3, notifications: 0, presence: 0 });
  expect(count("SELECT count(*) AS n FROM scans")).toBe(3);
  expect(count("SELECT count(*) AS n FROM changes")).toBe(9);
  expect(count("SELECT count(*) AS n FROM scan_devices")).toBe(3);
  expect(count(`SELECT count(*) AS n FROM scans WHERE started_at < '${iso(30 * DAY)}'`)).toBe(0);
  // The three old audit entries went; the cleanup itself is recorded.
  expect(count("SELECT count(*) AS n FROM audit_logs")).toBe(auditBefore - 3 + 1);
  expect(db.query("SELECT * FROM devices ORDER BY id").all()).toEqual(devicesBefore);
  expect((await api.get(`/api/devices/${device}`)).status).toBe(200);
  const audit = (await api.get("/api/audit-logs?action=retention_cleanup")).body;
  expect(audit[0].details).toEqual({ scans: 3, changes: 9, audit: 3, notifications: 0, presence: 0, retention_days: 30 });
  // A second run finds nothing more.
  expect((await api.post("/api/retention/cleanup")).body).toEqual({ scans: 0, changes: 0, audit: 0, notifications: 0, presence: 0 });
});

test("pruning runs in batches of the given size, each its own short transaction", async () => {
  const db = server.ctx.db;
  seed(db, Array.from({ length: 12 }, () => 200));
  const batches: number[] = [];
  const counts = await pruneHistory(db, 30, { batch: 5, onBatch: (ms) => batches.push(ms) });
  expect(counts).toEqual({ scans: 12, changes: 36, audit: 12, notifications: 0, presence: 0 });
  // changes: 36 → 8 batches; sightings 12 → 3; scans 12 → 3; audit 12 → 3; notifications and presence: one each that finds none.
  expect(batches.length).toBe(8 + 3 + 3 + 3 + 1 + 1);
});

test("a scan whose changes are not all old stays until they are", async () => {
  const db = server.ctx.db;
  const scan = Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'quick', '10.1.0.0/24', 'completed', ?)").run(iso(40 * DAY)).lastInsertRowid);
  db.query("INSERT INTO changes (scan_id, change_type, severity, description, detected_at) VALUES (?, 'device_added', 'warning', 'x', ?)").run(scan, iso(10 * DAY));
  const res = await api.post("/api/retention/cleanup");
  expect(res.body.scans).toBe(0);
  expect(db.query("SELECT id FROM scans WHERE id = ?").get(scan)).toEqual({ id: scan });
});

test("presence sessions that ended before the cutoff go; younger ones and open ones, however old, stay", async () => {
  const db = server.ctx.db;
  expect((await api.request("PUT", "/api/config", { json: { retention_days: 30 } })).status).toBe(200);
  const device = Number(db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES ('02:00:00:00:07:01', '10.1.0.7', ?, ?)").run(iso(400 * DAY), iso(0)).lastInsertRowid);
  // Ages from one instant: iso() read twice a second apart would not compare equal.
  const now = Date.now();
  const ago = (days: number) => new Date(now - days * DAY).toISOString().replace(/\.\d{3}Z$/, "Z");
  const session = (from: number, to: number | null) =>
    db.query("INSERT INTO presence_sessions (device_id, started_at, ended_at, source) VALUES (?, ?, ?, 'scan')").run(device, ago(from), to === null ? null : ago(to));
  session(300, 200);
  session(60, 31);
  // Began before the cutoff but ended after it: part of it is still in the kept history.
  session(40, 29);
  session(10, 9);
  // Open since long ago: the device is online now.
  session(90, null);
  const res = await api.post("/api/retention/cleanup");
  expect(res.status).toBe(200);
  expect(res.body.presence).toBe(2);
  expect(db.query("SELECT started_at, ended_at FROM presence_sessions WHERE device_id = ? ORDER BY started_at").all(device)).toEqual([
    { started_at: ago(90), ended_at: null },
    { started_at: ago(40), ended_at: ago(29) },
    { started_at: ago(10), ended_at: ago(9) },
  ]);
});

test("GET /api/stats/db reports the file size and row counts", async () => {
  const res = await api.get("/api/stats/db");
  expect(res.status).toBe(200);
  expect(res.body.file_bytes).toBeGreaterThan(0);
  expect(res.body.page_size * res.body.page_count).toBeGreaterThan(0);
  const db = server.ctx.db;
  for (const t of ["devices", "scans", "changes", "audit_logs", "users", "api_keys"]) {
    expect(res.body.rows[t]).toBe((db.query(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n);
  }
  expect((await api.get("/api/stats/db?x=1")).status).toBe(422);
});

test("while pruning, a worker thread checkpoints the log: it stays small, and automatic checkpoints come back after", async () => {
  const db = server.ctx.db;
  const walSize = () => statSync(`${db.filename}-wal`).size;
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.transaction(() => {
    const ch = db.query("INSERT INTO changes (change_type, severity, description, detected_at) VALUES ('port_opened', 'info', 'port 80 opened on a host with a long description', ?)");
    for (let i = 0; i < 60_000; i++) ch.run(iso(100 * DAY));
  })();
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  let largest = 0;
  const counts = await pruneHistory(db, 30, { onBatch: () => (largest = Math.max(largest, walSize())) });
  expect(counts.changes).toBe(60_000);
  // Without checkpoints the log would hold every page the deletes touched (tens of MiB).
  expect(largest).toBeLessThan(12 * 1024 * 1024);
  expect(db.query("PRAGMA wal_autocheckpoint").get()).toEqual({ wal_autocheckpoint: 1000 });
}, 60_000);
