// Devices with several interfaces linked automatically (issue 19, SPEC §7), on a real SQLite file:
// only the same mDNS name AND the same services (banners with versions) make two MACs one device;
// either alone is what a guest on a hostile LAN can copy, and links nothing.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { openDatabase } from "../../src/db/database.ts";
import { DeviceInventory } from "../../src/inventory/devices.ts";
import { mergeDevices, splitMac } from "../../src/inventory/macs.ts";
import type { Observation, ObservedPort, ScanScope } from "../../src/inventory/observation.ts";
import { reconcile } from "../../src/inventory/reconcile.ts";
import { recordSightings, type Sighting, type SightingPolicy } from "../../src/inventory/sightings.ts";
import { completedNetworkScan } from "../helpers/known-inventory.ts";
import { Scratch } from "../helpers/scratch.ts";

let db: Database;
const scratch = new Scratch();
afterAll(() => scratch.clear());
beforeEach(() => {
  db?.close();
  db = openDatabase(scratch.dir("argus-ifaces-"));
  completedNetworkScan(db);
});

const NIC1 = "00:11:32:00:00:01";
const NIC2 = "00:11:32:00:00:02";
const lan: ScanScope = { kind: "network", covers: (ip) => ip.startsWith("10.0.0."), ports: new Set([22, 5000]), portSpec: "22,5000", complete: true };
const port = (n: number, product: string | null, version: string | null): ObservedPort => ({
  port: n, protocol: "tcp", service: n === 22 ? "ssh" : "http", identified: product !== null, product, version, tls: false, banner: null, extra: {},
});
const SSH = [port(22, "OpenSSH", "9.6p1"), port(5000, "nginx", "1.24.0")];
const OTHER_SSH = [port(22, "Dropbear sshd", "2022.83"), port(5000, "nginx", "1.24.0")];
const observed = (ip: string, mac: string, name: string | null, ports: ObservedPort[] | null): Observation => ({
  ip, mac, method: "arp", rtt_ms: 1, mac_randomized: false, vendor: null, hostname: name, hostname_source: name ? "mdns" : null, device_type: null, os_name: null, ports,
});
function scan(observations: Observation[], now: string) {
  const id = Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'normal', '10.0.0.0/24', 'running', ?)").run(now).lastInsertRowid);
  return db.transaction(() => reconcile(db, id, observations, lan, now))();
}
const devices = () => db.query("SELECT id, mac_address FROM devices ORDER BY id").all() as { id: number; mac_address: string }[];
const macsOf = (id: number) => new DeviceInventory(db).get(id)!.macs.map((m) => m.mac).sort();
const types = (r: { changes: { change_type: string }[] }) => r.changes.map((c) => c.change_type).sort();

describe("strong evidence links two interfaces", () => {
  test("two NICs found in one scan with the same mDNS name and the same services are one device with both MACs: one device_added, one interface_linked", () => {
    const r = scan([observed("10.0.0.10", NIC1, "nas-two", SSH), observed("10.0.0.11", NIC2, "nas-two", SSH)], "2026-01-01T00:00:00Z");
    expect(devices()).toHaveLength(1);
    const [d] = devices();
    expect(macsOf(d.id)).toEqual([NIC1, NIC2]);
    expect(types(r)).toEqual(["device_added", "interface_linked"]);
    expect(r.devicesSeen).toBe(1);
    expect(r.openPorts).toBe(2);
    const linked = r.changes.find((c) => c.change_type === "interface_linked")!;
    expect(linked).toMatchObject({ device_id: d.id, device_mac: NIC2, device_ip: "10.0.0.11", severity: "info", old_value: NIC1, new_value: NIC2 });
    const detail = new DeviceInventory(db).get(d.id)!;
    // The first interface's address stays primary; both are its addresses.
    expect(detail.ip_address).toBe("10.0.0.10");
    expect(detail.addresses.filter((a) => a.family === 4).map((a) => a.address).sort()).toEqual(["10.0.0.10", "10.0.0.11"]);
    // The next scan sees both again: nothing new, nothing moved, no port closed by the other interface.
    const again = scan([observed("10.0.0.10", NIC1, "nas-two", SSH), observed("10.0.0.11", NIC2, "nas-two", SSH)], "2026-01-01T01:00:00Z");
    expect(again.changes).toEqual([]);
    expect(new DeviceInventory(db).get(d.id)!.ip_address).toBe("10.0.0.10");
  });

  test("a new interface of a trusted device shares its trust, so the link is a warning the owner hears of, not info", () => {
    scan([observed("10.0.0.10", NIC1, "nas-two", SSH)], "2026-01-01T00:00:00Z");
    const [d] = devices();
    db.query("UPDATE devices SET is_trusted = 1 WHERE id = ?").run(d.id);
    const r = scan([observed("10.0.0.10", NIC1, "nas-two", SSH), observed("10.0.0.11", NIC2, "nas-two", SSH)], "2026-01-01T01:00:00Z");
    expect(devices()).toHaveLength(1);
    expect(r.changes.filter((c) => c.change_type === "interface_linked").map((c) => c.severity)).toEqual(["warning"]);
  });

  test("two devices already known (heard passively first) that a scan shows to be one host are merged into the older", () => {
    const policy: SightingPolicy = { mayHaveRotated: () => true, admitNew: () => "admit", capPerMinute: 60 };
    const heard = (mac: string, ip: string): Sighting => ({ mac, ip, source: "arp", iface: "eth0", mac_randomized: false });
    db.transaction(() => recordSightings(db, [heard(NIC1, "10.0.0.10")], policy, "2026-01-01T00:00:00Z"))();
    db.transaction(() => recordSightings(db, [heard(NIC2, "10.0.0.11")], policy, "2026-01-01T00:01:00Z"))();
    const [first, second] = devices();
    const r = scan([observed("10.0.0.10", NIC1, "nas-two", SSH), observed("10.0.0.11", NIC2, "nas-two", SSH)], "2026-01-01T00:10:00Z");
    expect(devices()).toEqual([{ id: first.id, mac_address: NIC1 }]);
    expect(macsOf(first.id)).toEqual([NIC1, NIC2]);
    expect(types(r)).toEqual(["interface_linked"]);
    expect(r.changes[0]).toMatchObject({ device_id: first.id, device_mac: NIC2, new_value: NIC2 });
    // One host seen, its two open ports counted once.
    expect(r.devicesSeen).toBe(1);
    expect(r.openPorts).toBe(2);
    // The merged-away id is among the touched ones, so the feed says it is gone.
    expect([...r.touched]).toContain(second.id);
  });

  test("a merged laptop moving from Wi-Fi to Ethernet (one MAC silent, the other seen) is no new device and no device_added", () => {
    scan([observed("10.0.0.10", NIC1, "annas-laptop", SSH), observed("10.0.0.11", NIC2, "annas-laptop", SSH)], "2026-01-01T00:00:00Z");
    const [d] = devices();
    // Wi-Fi (NIC2) silent for two scans, then only it, then only the wire.
    for (const [i, mac, ip] of [[1, NIC1, "10.0.0.10"], [2, NIC1, "10.0.0.10"], [3, NIC2, "10.0.0.11"], [4, NIC2, "10.0.0.11"], [5, NIC1, "10.0.0.12"]] as const) {
      const r = scan([observed(ip, mac, "annas-laptop", SSH)], `2026-01-01T0${i}:00:00Z`);
      expect(types(r)).not.toContain("device_added");
      expect(types(r)).not.toContain("device_removed");
      expect(devices()).toEqual([{ id: d.id, mac_address: NIC1 }]);
    }
    expect(new DeviceInventory(db).get(d.id)!).toMatchObject({ status: "online", ip_address: "10.0.0.12" });
  });
});

describe("the owner's split and merge win over automatic linking", () => {
  test("a MAC the owner split off stays a device of its own however often scans see the same name and services; the owner's merge joins it again", () => {
    const both = () => [observed("10.0.0.10", NIC1, "nas-two", SSH), observed("10.0.0.11", NIC2, "nas-two", SSH)];
    scan(both(), "2026-01-01T00:00:00Z");
    const [d] = devices();
    const { new_id } = splitMac(db, d.id, NIC2);
    for (const at of ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"]) {
      const r = scan(both(), at);
      expect(types(r)).not.toContain("interface_linked");
      expect(devices()).toEqual([
        { id: d.id, mac_address: NIC1 },
        { id: new_id, mac_address: NIC2 },
      ]);
    }
    // The owner changes their mind: merged, and the next scan keeps them one device.
    mergeDevices(db, d.id, new_id);
    const r = scan(both(), "2026-01-01T03:00:00Z");
    expect(r.changes).toEqual([]);
    expect(devices()).toEqual([{ id: d.id, mac_address: NIC1 }]);
    expect(macsOf(d.id)).toEqual([NIC1, NIC2]);
  });
});

describe("weak evidence links nothing (the LAN is hostile)", () => {
  test("the same mDNS name with other services: a guest naming itself like a known device is a device of its own", () => {
    scan([observed("10.0.0.10", NIC1, "nas-two", SSH)], "2026-01-01T00:00:00Z");
    const r = scan([observed("10.0.0.10", NIC1, "nas-two", SSH), observed("10.0.0.66", "06:66:00:00:00:01", "nas-two", OTHER_SSH)], "2026-01-01T01:00:00Z");
    expect(devices()).toHaveLength(2);
    expect(types(r)).toEqual(["device_added"]);
    expect(macsOf(devices()[0].id)).toEqual([NIC1]);
  });

  test("the same services under another name, or with no mDNS name at all, link nothing", () => {
    scan([observed("10.0.0.10", NIC1, "nas-two", SSH)], "2026-01-01T00:00:00Z");
    const r = scan(
      [observed("10.0.0.10", NIC1, "nas-two", SSH), observed("10.0.0.20", "00:11:32:00:00:20", "nas-three", SSH), observed("10.0.0.21", "00:11:32:00:00:21", null, SSH)],
      "2026-01-01T01:00:00Z",
    );
    expect(devices()).toHaveLength(3);
    expect(types(r)).toEqual(["device_added", "device_added"]);
  });

  test("a name and services that two known devices share already tell neither apart: a third MAC with them joins neither", () => {
    // Two identical boxes that answer alike (say, two units of one model sold with one default name) stay two...
    scan([observed("10.0.0.10", NIC1, "nas-two", SSH)], "2026-01-01T00:00:00Z");
    db.query("INSERT INTO devices (mac_address, ip_address, status, first_seen, last_seen, hostname, hostname_source, mdns_name, ports_known, service_fingerprint) SELECT ?, '10.0.0.30', 'offline', first_seen, last_seen, hostname, hostname_source, mdns_name, 1, service_fingerprint FROM devices WHERE mac_address = ?").run("00:11:32:00:00:30", NIC1);
    // ...and a third MAC that matches both is a new device, not a guess between them.
    const r = scan([observed("10.0.0.40", "00:11:32:00:00:40", "nas-two", SSH)], "2026-01-01T01:00:00Z");
    expect(types(r)).toContain("device_added");
    expect(types(r)).not.toContain("interface_linked");
  });
});
