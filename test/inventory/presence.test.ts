// Presence sessions (SPEC §7 "Presence") on a real SQLite file: a session opens when a device is
// seen, stays open while it is seen, closes at its last sighting when it goes offline and resumes
// within the grace; scans and passive sightings write them in their own transactions; online seconds
// are the sessions clipped to buckets; the migration gives online devices an open session.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { configure, openDatabase } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrations.ts";
import type { Observation, ScanScope } from "../../src/inventory/observation.ts";
import {
  bucketCount,
  bucketStarts,
  deviceSessions,
  markGone,
  markSeen,
  networkPresence,
  onlineSeconds,
  PRESENCE_GRACE_MS,
  PRESENCE_SQL,
} from "../../src/inventory/presence.ts";
import { OFFLINE_AFTER_MISSES, reconcile } from "../../src/inventory/reconcile.ts";
import { recordSightings, type SightingPolicy } from "../../src/inventory/sightings.ts";
import { Scratch } from "../helpers/scratch.ts";

let db: Database;
const scratch = new Scratch();
afterAll(() => scratch.clear());
beforeEach(() => {
  db?.close();
  db = openDatabase(scratch.dir("argus-presence-"));
});

const T0 = Date.parse("2026-01-01T00:00:00Z");
const MIN = 60_000;
const HOUR = 3_600_000;
const at = (ms: number) => new Date(T0 + ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const device = (mac = "02:00:00:00:00:01", ip = "10.0.0.5") =>
  Number(db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?)").run(mac, ip, at(0), at(0)).lastInsertRowid);
const sessions = (id: number) => deviceSessions(db, id, {}, { limit: 1000, offset: 0 })!.items;

describe("markSeen and markGone", () => {
  test("a session opens when the device is seen, stays open while it is seen, and closes at its last sighting", () => {
    const id = device();
    expect(markSeen(db, id, at(0), "scan")).toBe("opened");
    expect(markSeen(db, id, at(10 * MIN), "passive")).toBe("extended");
    expect(sessions(id)).toEqual([{ from: at(0), to: null, source: "scan" }]);
    expect(markGone(db, id, at(10 * MIN))).toBe(true);
    expect(sessions(id)).toEqual([{ from: at(0), to: at(10 * MIN), source: "scan" }]);
    // Nothing open any more: a second departure closes nothing.
    expect(markGone(db, id, at(20 * MIN))).toBe(false);
    expect(sessions(id)).toEqual([{ from: at(0), to: at(10 * MIN), source: "scan" }]);
  });

  test("a device back within the grace resumes its session; after the grace it starts a new one, named by what saw it", () => {
    const id = device();
    markSeen(db, id, at(0), "passive");
    markGone(db, id, at(HOUR));
    // A phone that dozed: back just within the grace of its last sighting.
    expect(markSeen(db, id, at(HOUR + PRESENCE_GRACE_MS), "scan")).toBe("resumed");
    expect(sessions(id)).toEqual([{ from: at(0), to: null, source: "passive" }]);
    markGone(db, id, at(2 * HOUR));
    // Away longer than the grace: a second session.
    expect(markSeen(db, id, at(2 * HOUR + PRESENCE_GRACE_MS + 1000), "probe")).toBe("opened");
    expect(sessions(id)).toEqual([
      { from: at(2 * HOUR + PRESENCE_GRACE_MS + 1000), to: null, source: "probe" },
      { from: at(0), to: at(2 * HOUR), source: "passive" },
    ]);
    // The caller may give its own grace (a device that may sleep longer).
    markGone(db, id, at(3 * HOUR));
    expect(markSeen(db, id, at(5 * HOUR), "scan", 3 * HOUR)).toBe("resumed");
    expect(sessions(id)).toHaveLength(2);
  });

  test("a session never ends before it began", () => {
    const id = device();
    markSeen(db, id, at(HOUR), "scan");
    markGone(db, id, at(0));
    expect(sessions(id)).toEqual([{ from: at(HOUR), to: at(HOUR), source: "scan" }]);
  });

  test("forgetting a device deletes its sessions", () => {
    const id = device();
    markSeen(db, id, at(0), "scan");
    db.query("DELETE FROM devices WHERE id = ?").run(id);
    expect(db.query("SELECT count(*) AS n FROM presence_sessions").get()).toEqual({ n: 0 });
    expect(deviceSessions(db, id, {}, { limit: 10, offset: 0 })).toBeNull();
  });

  test("a device's sessions are filtered to those overlapping the window, newest first, and paged", () => {
    const id = device();
    for (let h = 0; h < 5; h++) {
      markSeen(db, id, at(h * 2 * HOUR), "scan");
      markGone(db, id, at(h * 2 * HOUR + HOUR));
    }
    markSeen(db, id, at(10 * HOUR), "passive");
    const page = (w: { since?: string; until?: string }, limit = 100, offset = 0) => deviceSessions(db, id, w, { limit, offset })!;
    // [3h, 6h): the session of 2h–3h ends at 3h (touches it), 4h–5h is inside, 6h–7h starts at the end (out).
    expect(page({ since: at(3 * HOUR), until: at(6 * HOUR) }).items.map((s) => s.from)).toEqual([at(4 * HOUR), at(2 * HOUR)]);
    // The open session overlaps every window after its start.
    expect(page({ since: at(20 * HOUR) }).items).toEqual([{ from: at(10 * HOUR), to: null, source: "passive" }]);
    expect(page({ until: at(HOUR) }).items.map((s) => s.from)).toEqual([at(0)]);
    const second = page({}, 2, 2);
    expect(second.total).toBe(6);
    expect(second.items.map((s) => s.from)).toEqual([at(6 * HOUR), at(4 * HOUR)]);
  });
});

describe("online seconds per bucket", () => {
  test("buckets are whole UTC hours or days from the one holding the start", () => {
    expect(bucketStarts(T0 + 30 * MIN, T0 + 3 * HOUR, "hour").map((ms) => ms - T0)).toEqual([0, HOUR, 2 * HOUR]);
    expect(bucketStarts(T0 + 30 * MIN, T0 + 3 * HOUR + 1, "hour")).toHaveLength(4);
    expect(bucketStarts(T0 + 5 * HOUR, T0 + 50 * HOUR, "day").map((ms) => ms - T0)).toEqual([0, 24 * HOUR, 48 * HOUR]);
    expect(bucketCount(T0 + 30 * MIN, T0 + 3 * HOUR, "hour")).toBe(3);
    expect(bucketCount(T0, T0 + 31 * 24 * HOUR, "hour")).toBe(744);
  });

  test("sessions are clipped to each bucket and to the range; an open one counts to the end; overlaps count once", () => {
    const starts = bucketStarts(T0, T0 + 4 * HOUR, "hour");
    const s = (from: number, to: number | null) => ({ from: T0 + from, to: to === null ? null : T0 + to });
    // 0:30–2:15 spans three buckets.
    expect(onlineSeconds([s(30 * MIN, 2 * HOUR + 15 * MIN)], starts, HOUR, T0, T0 + 4 * HOUR)).toEqual([1800, 3600, 900, 0]);
    // Open since 3:50: counts to the range's end (now).
    expect(onlineSeconds([s(3 * HOUR + 50 * MIN, null)], starts, HOUR, T0, T0 + 4 * HOUR)).toEqual([0, 0, 0, 600]);
    // Begun before the range: only the part inside counts; so for the range's end.
    expect(onlineSeconds([s(-5 * HOUR, 10 * MIN), s(3 * HOUR + 30 * MIN, 9 * HOUR)], starts, HOUR, T0, T0 + 3 * HOUR + 40 * MIN)).toEqual([600, 0, 0, 600]);
    // Two overlapping sessions of one device are one stretch of presence.
    expect(onlineSeconds([s(0, 40 * MIN), s(20 * MIN, HOUR + 10 * MIN)], starts, HOUR, T0, T0 + 4 * HOUR)).toEqual([3600, 600, 0, 0]);
    // A zero-length session (seen by one scan only) is no online time.
    expect(onlineSeconds([s(HOUR, HOUR)], starts, HOUR, T0, T0 + 4 * HOUR)).toEqual([0, 0, 0, 0]);
    // The start not on a bucket boundary: the first bucket counts from the start only.
    expect(onlineSeconds([s(0, 2 * HOUR)], bucketStarts(T0 + 30 * MIN, T0 + 2 * HOUR, "hour"), HOUR, T0 + 30 * MIN, T0 + 2 * HOUR)).toEqual([1800, 3600]);
  });

  test("the network's presence lists each device with a session in the range, by id, every bucket given", () => {
    const a = device("02:00:00:00:00:0a", "10.0.0.10");
    const b = device("02:00:00:00:00:0b", "10.0.0.11");
    const c = device("02:00:00:00:00:0c", "10.0.0.12");
    markSeen(db, a, at(HOUR + 45 * MIN), "scan");
    markGone(db, a, at(2 * HOUR + 30 * MIN));
    markSeen(db, b, at(2 * HOUR + 30 * MIN), "passive"); // still online
    markSeen(db, c, at(-5 * HOUR), "scan");
    markGone(db, c, at(-4 * HOUR)); // before the range: not listed
    const range = { since: at(HOUR), until: at(4 * HOUR), bucket: "hour" as const, now: T0 + 3 * HOUR + 15 * MIN };
    const { items, total } = networkPresence(db, range, { limit: 50, offset: 0 });
    expect(total).toBe(2);
    const hours = [at(HOUR), at(2 * HOUR), at(3 * HOUR)];
    expect(items).toEqual([
      { device_id: a, buckets: hours.map((h, k) => ({ at: h, online_seconds: [900, 1800, 0][k] })) },
      // Open: counted up to now (3:15), nothing after.
      { device_id: b, buckets: hours.map((h, k) => ({ at: h, online_seconds: [0, 1800, 900][k] })) },
    ]);
    expect(networkPresence(db, range, { limit: 1, offset: 1 }).items.map((d) => d.device_id)).toEqual([b]);
  });
});

describe("written where the inventory is written", () => {
  const A = "02:00:00:00:00:0a";
  const host = (ip: string, mac: string): Observation => ({
    ip, mac, method: "arp", rtt_ms: 1, mac_randomized: false, vendor: null, hostname: null, hostname_source: null, device_type: null, os_name: null, ports: null,
  });
  const lan: ScanScope = { kind: "network", covers: (ip) => ip.startsWith("10.0.0."), ports: null, portSpec: null, complete: true };
  const scan = (observations: Observation[], now: string) => {
    const id = Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'quick', '10.0.0.0/24', 'running', ?)").run(now).lastInsertRowid);
    return db.transaction(() => reconcile(db, id, observations, lan, now))();
  };
  const policy: SightingPolicy = { mayHaveRotated: () => false, admitNew: () => "admit", capPerMinute: 60 };
  const sight = (mac: string, ip: string, now: string) => db.transaction(() => recordSightings(db, [{ mac, ip, source: "arp", iface: "eth0", mac_randomized: false }], policy, now))();
  const idOf = (mac: string) => (db.query("SELECT id FROM devices WHERE mac_address = ?").get(mac) as { id: number }).id;

  test("a scan opens the session, missed scans close it at the last sighting, and a passive sighting after the grace opens another", () => {
    scan([host("10.0.0.10", A)], at(0));
    scan([host("10.0.0.10", A)], at(HOUR));
    const id = idOf(A);
    expect(sessions(id)).toEqual([{ from: at(0), to: null, source: "scan" }]);
    for (let i = 1; i <= OFFLINE_AFTER_MISSES; i++) scan([], at((1 + i) * HOUR));
    expect(db.query("SELECT status FROM devices WHERE id = ?").get(id)).toEqual({ status: "offline" });
    expect(sessions(id)).toEqual([{ from: at(0), to: at(HOUR), source: "scan" }]);
    sight(A, "10.0.0.10", at(5 * HOUR));
    expect(sessions(id)).toEqual([
      { from: at(5 * HOUR), to: null, source: "passive" },
      { from: at(0), to: at(HOUR), source: "scan" },
    ]);
  });

  test("a new device heard passively opens a passive session; one heard again stays in it", () => {
    sight(A, "10.0.0.10", at(0));
    sight(A, "10.0.0.10", at(MIN));
    expect(sessions(idOf(A))).toEqual([{ from: at(0), to: null, source: "passive" }]);
  });

  test("a scan rolled back leaves no session behind", () => {
    const id = Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'quick', '10.0.0.0/24', 'running', ?)").run(at(0)).lastInsertRowid);
    expect(() =>
      db.transaction(() => {
        reconcile(db, id, [host("10.0.0.10", A)], lan, at(0));
        throw new Error("crash before the commit");
      })(),
    ).toThrow("crash before the commit");
    expect(db.query("SELECT count(*) AS n FROM presence_sessions").get()).toEqual({ n: 0 });
  });
});

test("migration 16 opens a session for each device online at upgrade time, from its last sighting", () => {
  const old = new Database(":memory:", { strict: true });
  configure(old);
  migrate(old, 15);
  old.run("INSERT INTO scans (id, scan_type, profile, subnet, status, started_at) VALUES (1, 'network', 'quick', '10.0.0.0/24', 'completed', '2025-12-01T00:00:00Z')");
  const add = (mac: string, status: string, lastScan: number | null) =>
    old.query("INSERT INTO devices (mac_address, ip_address, status, first_seen, last_seen, last_scan_id) VALUES (?, '10.0.0.9', ?, '2025-11-01T00:00:00Z', '2025-12-24T18:00:00Z', ?)").run(mac, status, lastScan);
  add("02:00:00:00:00:01", "online", 1);
  add("02:00:00:00:00:02", "online", null);
  add("02:00:00:00:00:03", "offline", 1);
  expect(migrate(old, 16)).toEqual([16]);
  expect(old.query("SELECT d.mac_address, s.started_at, s.ended_at, s.source FROM presence_sessions s JOIN devices d ON d.id = s.device_id ORDER BY d.mac_address").all()).toEqual([
    { mac_address: "02:00:00:00:00:01", started_at: "2025-12-24T18:00:00Z", ended_at: null, source: "scan" },
    { mac_address: "02:00:00:00:00:02", started_at: "2025-12-24T18:00:00Z", ended_at: null, source: "passive" },
  ]);
  old.close();
});

test("every presence query searches an index, bounded by the window on both ends, never reads the whole history (the plans of the exact SQL)", () => {
  // (networkCount is gone: networkDevices lists the ids and the total is their number; networkSessions reads one device.)
  const args: Record<keyof typeof PRESENCE_SQL, (string | number | null)[]> = {
    latest: [1],
    deviceCount: [at(0), at(HOUR), 1],
    deviceList: [at(0), at(HOUR), 1, 50, 0],
    networkDevices: [at(0), at(HOUR), 0, 1000],
    networkSessions: [at(0), at(HOUR), 1],
  };
  const plan = (name: keyof typeof PRESENCE_SQL) =>
    (db.query(`EXPLAIN QUERY PLAN ${PRESENCE_SQL[name]}`).all(...args[name]) as { detail: string }[]).map((r) => r.detail).filter((d) => /^(SCAN|SEARCH) /.test(d));
  for (const name of Object.keys(PRESENCE_SQL) as (keyof typeof PRESENCE_SQL)[]) {
    const steps = plan(name);
    expect({ name, scans: steps.filter((d) => d.startsWith("SCAN ")) }).toEqual({ name, scans: [] });
    // networkDevices goes through a slice of the devices, each looked up once in the sessions' index.
    const devices = "SEARCH d USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)";
    expect({ name, devices: steps.includes(devices) }).toEqual({ name, devices: name === "networkDevices" });
    const reads = steps.filter((d) => d.startsWith("SEARCH ") && d !== devices);
    expect({ name, reads: reads.length > 0 }).toEqual({ name, reads: true });
    for (const read of reads) {
      // Sessions are only ever read through (device_id, started_at), and, but for the latest one,
      // only those begun before `until`: a window before all history reads none of them.
      const bound = name === "latest" ? /\(device_id=\?\)$/ : /\(device_id=\? AND (started_at>\? AND )?started_at<\?\)$/;
      expect({ name, read, bounded: /^SEARCH \w+ USING (COVERING )?INDEX presence_sessions_device /.test(read) && bound.test(read) }).toEqual({ name, read, bounded: true });
    }
  }
  // The sessions of a device in the window: a range of the index closed on both ends.
  for (const name of ["deviceCount", "deviceList", "networkSessions"] as const) {
    expect(plan(name)[0]).toBe("SEARCH presence_sessions USING INDEX presence_sessions_device (device_id=? AND started_at>? AND started_at<?)");
  }
});
