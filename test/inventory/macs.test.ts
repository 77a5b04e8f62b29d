// A device's several MACs (SPEC §7) on a real SQLite file: once the owner merged two devices, a
// passive sighting or a scan of either MAC is the same device (no device_added, no stranger), and
// a split MAC is a device of its own again.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { openDatabase } from "../../src/db/database.ts";
import { DeviceInventory } from "../../src/inventory/devices.ts";
import { mergeDevices, splitMac } from "../../src/inventory/macs.ts";
import type { Observation, ScanScope } from "../../src/inventory/observation.ts";
import { reconcile } from "../../src/inventory/reconcile.ts";
import { recordSightings, type Sighting, type SightingPolicy } from "../../src/inventory/sightings.ts";
import { completedNetworkScan } from "../helpers/known-inventory.ts";
import { Scratch } from "../helpers/scratch.ts";

let db: Database;
const scratch = new Scratch();
afterAll(() => scratch.clear());
beforeEach(() => {
  db?.close();
  db = openDatabase(scratch.dir("argus-macs-"));
  completedNetworkScan(db);
});

const WIRED = "b8:27:eb:00:00:01";
const WIFI = "b8:27:eb:00:00:02";
const policy: SightingPolicy = { mayHaveRotated: () => true, admitNew: () => "admit", capPerMinute: 60 };
const sighting = (mac: string, ip: string): Sighting => ({ mac, ip, source: "arp", iface: "eth0", mac_randomized: false });
const sight = (list: Sighting[], now: string) => db.transaction(() => recordSightings(db, list, policy, now))();
const idOf = (mac: string) => (db.query("SELECT id FROM devices WHERE mac_address = ?").get(mac) as { id: number }).id;
const deviceCount = () => (db.query("SELECT count(*) AS n FROM devices").get() as { n: number }).n;
const lan: ScanScope = { kind: "network", covers: (ip) => ip.startsWith("10.0.0."), ports: null, portSpec: null, complete: false };
const observed = (ip: string, mac: string): Observation => ({
  ip, mac, method: "arp", rtt_ms: 1, mac_randomized: false, vendor: null, hostname: null, hostname_source: null, device_type: null, os_name: null, ports: null,
});
function scan(observations: Observation[], now: string) {
  const id = Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'quick', '10.0.0.0/24', 'running', ?)").run(now).lastInsertRowid);
  return db.transaction(() => reconcile(db, id, observations, lan, now))();
}

/** The laptop's two interfaces, heard as two devices, then merged by the owner. */
function mergedLaptop(): number {
  sight([sighting(WIRED, "10.0.0.10"), sighting(WIFI, "10.0.0.20")], "2026-01-01T00:00:00Z");
  const survivor = idOf(WIRED);
  mergeDevices(db, survivor, idOf(WIFI));
  return survivor;
}

describe("a merged device's second MAC", () => {
  test("a passive sighting of it updates the survivor: no device_added, no new device, its MAC's last sighting kept", () => {
    const id = mergedLaptop();
    expect(deviceCount()).toBe(1);
    const r = sight([sighting(WIFI, "10.0.0.20")], "2026-01-01T01:00:00Z");
    expect(r.changes.map((c) => c.change_type)).not.toContain("device_added");
    expect(r.changes).toEqual([]);
    expect([...r.touched]).toEqual([id]);
    expect(deviceCount()).toBe(1);
    const device = new DeviceInventory(db).get(id)!;
    expect(device).toMatchObject({ mac_address: WIRED, ip_address: "10.0.0.20", last_seen: "2026-01-01T01:00:00Z" });
    expect(device.macs).toEqual([
      { mac: WIRED, randomized: false, first_seen: "2026-01-01T00:00:00Z", last_seen: "2026-01-01T00:00:00Z" },
      { mac: WIFI, randomized: false, first_seen: "2026-01-01T00:00:00Z", last_seen: "2026-01-01T01:00:00Z" },
    ]);
  });

  test("a scan observing it updates the survivor: no device_added, no new device", () => {
    const id = mergedLaptop();
    const r = scan([observed("10.0.0.20", WIFI)], "2026-01-01T02:00:00Z");
    expect(r.changes.filter((c) => c.change_type === "device_added")).toEqual([]);
    expect(deviceCount()).toBe(1);
    const device = new DeviceInventory(db).get(id)!;
    expect(device).toMatchObject({ mac_address: WIRED, last_seen: "2026-01-01T02:00:00Z", times_seen: 3 });
    expect(device.macs.find((m) => m.mac === WIFI)?.last_seen).toBe("2026-01-01T02:00:00Z");
  });

  test("after a split, the MAC is its own device again and its sighting updates that one, not the survivor", () => {
    const id = mergedLaptop();
    const { new_id } = splitMac(db, id, WIFI);
    const r = sight([sighting(WIFI, "10.0.0.20")], "2026-01-01T03:00:00Z");
    expect(r.changes.map((c) => c.change_type)).toEqual(["device_returned"]);
    expect([...r.touched]).toEqual([new_id]);
    expect(new DeviceInventory(db).get(new_id)).toMatchObject({ mac_address: WIFI, status: "online", last_seen: "2026-01-01T03:00:00Z" });
    expect(new DeviceInventory(db).get(id)!.macs.map((m) => m.mac)).toEqual([WIRED]);
  });
});
