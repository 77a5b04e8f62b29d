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

describe("the IPv4 address history records the MAC each address was heard from", () => {
  const history = (id: number) => db.query("SELECT ip_address, mac FROM device_addresses WHERE device_id = ? ORDER BY ip_address").all(id);
  const v4 = (id: number) => new DeviceInventory(db).get(id)!.addresses.filter((a) => a.family === 4).map((a) => [a.address, a.mac]);

  test("sightings and scans write the MAC that answered, not the device's primary", () => {
    const id = mergedLaptop();
    sight([sighting(WIFI, "10.0.0.30")], "2026-01-01T01:00:00Z");
    // One scan hears both interfaces: the second is recorded as the same device (reconcile seenOnAnotherMac).
    scan([observed("10.0.0.11", WIRED), observed("10.0.0.31", WIFI)], "2026-01-01T02:00:00Z");
    expect(history(id)).toEqual([
      { ip_address: "10.0.0.10", mac: WIRED },
      { ip_address: "10.0.0.11", mac: WIRED },
      { ip_address: "10.0.0.20", mac: WIFI },
      { ip_address: "10.0.0.30", mac: WIFI },
      { ip_address: "10.0.0.31", mac: WIFI },
    ]);
    expect(v4(id).sort()).toEqual([
      ["10.0.0.10", WIRED],
      ["10.0.0.11", WIRED],
      ["10.0.0.20", WIFI],
      ["10.0.0.30", WIFI],
      ["10.0.0.31", WIFI],
    ]);
  });

  test("a merge keeps each address with its MAC; an address both had keeps the MAC heard last", () => {
    sight([sighting(WIRED, "10.0.0.10"), sighting(WIFI, "10.0.0.20")], "2026-01-01T00:00:00Z");
    const wired = idOf(WIRED);
    const wifi = idOf(WIFI);
    // The Wi-Fi side was at .10 later than the wired side (the laptop took the address over on Wi-Fi).
    db.query("INSERT OR REPLACE INTO device_addresses (device_id, ip_address, mac, first_seen, last_seen) VALUES (?, '10.0.0.10', ?, '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')").run(wifi, WIFI);
    mergeDevices(db, wired, wifi);
    expect(history(wired)).toEqual([
      { ip_address: "10.0.0.10", mac: WIFI },
      { ip_address: "10.0.0.20", mac: WIFI },
    ]);
  });

  test("a split takes the MAC's addresses (IPv4 and IPv6) to the new device; the rest, presence and changes stay", () => {
    const id = mergedLaptop();
    sight([sighting(WIFI, "10.0.0.20")], "2026-01-01T01:00:00Z");
    db.query("INSERT INTO device_ip6 (device_id, address, scope, mac, source, first_seen, last_seen) VALUES (?, 'fd00::20', 'ula', ?, 'ndp', '2026-01-01T00:00:00Z', '2026-01-01T00:30:00Z')").run(id, WIFI);
    const sessions = db.query("SELECT count(*) AS n FROM presence_sessions WHERE device_id = ?").get(id);
    const changes = db.query("SELECT count(*) AS n FROM changes WHERE device_id = ?").get(id);
    // Seen last on Wi-Fi: the merged device is at .20.
    expect(new DeviceInventory(db).get(id)!.ip_address).toBe("10.0.0.20");
    const { new_id, ip_address } = splitMac(db, id, WIFI);
    expect(ip_address).toBe("10.0.0.20");
    expect(history(new_id)).toEqual([{ ip_address: "10.0.0.20", mac: WIFI }]);
    expect(history(id)).toEqual([{ ip_address: "10.0.0.10", mac: WIRED }]);
    const fresh = new DeviceInventory(db).get(new_id)!;
    expect(fresh.ip_history.map((a) => a.ip_address)).toEqual(["10.0.0.20"]);
    expect(fresh.addresses.map((a) => [a.address, a.mac])).toEqual([
      ["10.0.0.20", WIFI],
      ["fd00::20", WIFI],
    ]);
    // The device it was merged into is where its remaining interface was heard.
    expect(new DeviceInventory(db).get(id)!).toMatchObject({ ip_address: "10.0.0.10", ip_history: [expect.objectContaining({ ip_address: "10.0.0.10" })] });
    expect(db.query("SELECT count(*) AS n FROM presence_sessions WHERE device_id = ?").get(id)).toEqual(sessions);
    expect(db.query("SELECT count(*) AS n FROM presence_sessions WHERE device_id = ?").get(new_id)).toEqual({ n: 0 });
    expect(db.query("SELECT count(*) AS n FROM changes WHERE device_id = ?").get(id)).toEqual(changes);
  });

  test("rows without a MAC (written before schema 28) keep naming their device's own primary through a merge and a split", () => {
    sight([sighting(WIRED, "10.0.0.10"), sighting(WIFI, "10.0.0.20")], "2026-01-01T00:00:00Z");
    db.run("UPDATE device_addresses SET mac = NULL");
    const wired = idOf(WIRED);
    mergeDevices(db, wired, idOf(WIFI));
    expect(history(wired)).toEqual([
      { ip_address: "10.0.0.10", mac: WIRED },
      { ip_address: "10.0.0.20", mac: WIFI },
    ]);
    const { new_id } = splitMac(db, wired, WIFI);
    expect(history(new_id)).toEqual([{ ip_address: "10.0.0.20", mac: WIFI }]);
  });
});
