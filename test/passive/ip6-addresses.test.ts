// IPv6 addresses heard from neighbour discovery, stored per device (migration 21, device_ip6) by
// inventory/sightings.ts recordIp6Sightings, on a real SQLite file; the scope classification; and the
// device record's `addresses` (SPEC §7) read back through DeviceInventory.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { openDatabase } from "../../src/db/database.ts";
import { DeviceInventory } from "../../src/inventory/devices.ts";
import { mergeDevices, splitMac } from "../../src/inventory/macs.ts";
import { IP6_KEEP_PER_DEVICE, recordIp6Sightings, recordSightings, type Ip6Sighting, type SightingPolicy } from "../../src/inventory/sightings.ts";
import { ipv4Scope } from "../../src/net/ip.ts";
import { formatIp6, ip6Scope } from "../../src/net/ip6.ts";
import { ip6 } from "../helpers/frames.ts";
import { Scratch } from "../helpers/scratch.ts";

let db: Database;
const scratch = new Scratch();
afterAll(() => scratch.clear());
beforeEach(() => {
  db?.close();
  db = openDatabase(scratch.dir("argus-ip6-"));
});

const NOW = "2026-01-01T00:00:00Z";
const admitAll: SightingPolicy = { mayHaveRotated: () => true, admitNew: () => "admit", capPerMinute: 60 };
const MAC = "00:11:22:00:00:01";
const known = (mac: string, ip: string) => db.transaction(() => recordSightings(db, [{ mac, ip, source: "arp", iface: "eth0", mac_randomized: false }], admitAll, NOW))();
const record = (list: Ip6Sighting[], now = NOW) => db.transaction(() => recordIp6Sightings(db, list, now))();
const stored = (mac: string) =>
  db.query("SELECT a.address, a.scope, a.first_seen, a.last_seen, a.source FROM device_ip6 a JOIN devices d ON d.id = a.device_id WHERE d.mac_address = ? ORDER BY a.address").all(mac);
const deviceCount = () => (db.query("SELECT count(*) AS n FROM devices").get() as { n: number }).n;

describe("IPv6 scope", () => {
  test("fe80::/10 link, fc00::/7 ula, 2000::/3 global; multicast, loopback and :: are no host address", () => {
    expect(ip6Scope("fe80::1")).toBe("link");
    expect(ip6Scope("febf::1")).toBe("link");
    expect(ip6Scope("fec0::1")).toBeNull();
    expect(ip6Scope("fd00:1::5")).toBe("ula");
    expect(ip6Scope("fc00::5")).toBe("ula");
    expect(ip6Scope("2001:db8::1")).toBe("global");
    expect(ip6Scope("3fff::1")).toBe("global");
    expect(ip6Scope("4000::1")).toBeNull();
    expect(ip6Scope("ff02::1")).toBeNull();
    expect(ip6Scope("::1")).toBeNull();
    expect(ip6Scope("::")).toBeNull();
  });

  test("IPv4: RFC 1918 private, 169.254/16 link, else global", () => {
    expect(ipv4Scope("10.1.2.3")).toBe("private");
    expect(ipv4Scope("172.16.0.1")).toBe("private");
    expect(ipv4Scope("172.32.0.1")).toBe("global");
    expect(ipv4Scope("192.168.1.20")).toBe("private");
    expect(ipv4Scope("169.254.3.4")).toBe("link");
    expect(ipv4Scope("8.8.8.8")).toBe("global");
  });

  test("RFC 5952 text: lower case, the longest zero run compressed, a single zero group kept", () => {
    const f = (s: string) => formatIp6(Uint8Array.from(ip6(s)));
    expect(f("fe80::11:22ff:fe33:4455")).toBe("fe80::11:22ff:fe33:4455");
    expect(f("2001:db8:0:1:0:0:0:1")).toBe("2001:db8:0:1::1");
    expect(f("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(f("2001:db8:1:2:3:4:0:5")).toBe("2001:db8:1:2:3:4:0:5");
    expect(f("::")).toBe("::");
    expect(f("fd00::")).toBe("fd00::");
  });
});

describe("IPv6 addresses of known devices", () => {
  test("an address is added to the device known by that MAC, refreshed on the next sighting", () => {
    known(MAC, "10.0.0.5");
    const id = (db.query("SELECT id FROM devices WHERE mac_address = ?").get(MAC) as { id: number }).id;
    expect(record([{ mac: MAC, address: "fe80::5", scope: "link" }])).toEqual([id]);
    expect(record([{ mac: MAC, address: "fe80::5", scope: "link" }], "2026-01-01T01:00:00Z")).toEqual([]);
    expect(stored(MAC)).toEqual([{ address: "fe80::5", scope: "link", first_seen: NOW, last_seen: "2026-01-01T01:00:00Z", source: "ndp" }]);
  });

  test("a MAC no device has gets no device from an IPv6 sighting alone", () => {
    expect(record([{ mac: MAC, address: "fd00::7", scope: "ula" }])).toEqual([]);
    expect(deviceCount()).toBe(0);
    expect((db.query("SELECT count(*) AS n FROM device_ip6").get() as { n: number }).n).toBe(0);
  });

  test(`only the newest ${IP6_KEEP_PER_DEVICE} addresses of a device are kept (privacy addresses rotate)`, () => {
    known(MAC, "10.0.0.5");
    for (let i = 0; i < IP6_KEEP_PER_DEVICE + 8; i++) record([{ mac: MAC, address: `2001:db8::${(i + 1).toString(16)}`, scope: "global" }], `2026-01-01T00:${String(i).padStart(2, "0")}:00Z`);
    const left = stored(MAC) as { address: string }[];
    expect(left.length).toBe(IP6_KEEP_PER_DEVICE);
    // The 8 oldest went.
    for (let i = 0; i < 8; i++) expect(left.map((a) => a.address)).not.toContain(`2001:db8::${(i + 1).toString(16)}`);
    expect(left.map((a) => a.address)).toContain(`2001:db8::${(IP6_KEEP_PER_DEVICE + 8).toString(16)}`);
  });

  test("the device record's addresses: IPv4 history as family 4, IPv6 as family 6 with its scope, newest first", () => {
    known(MAC, "10.0.0.5");
    record([{ mac: MAC, address: "fd00:1::5", scope: "ula" }], "2026-01-01T02:00:00Z");
    const id = (db.query("SELECT id FROM devices WHERE mac_address = ?").get(MAC) as { id: number }).id;
    const detail = new DeviceInventory(db).get(id)!;
    expect(detail.addresses).toEqual([
      { address: "fd00:1::5", family: 6, scope: "ula", mac: MAC, first_seen: "2026-01-01T02:00:00Z", last_seen: "2026-01-01T02:00:00Z", source: "ndp" },
      { address: "10.0.0.5", family: 4, scope: "private", mac: MAC, first_seen: NOW, last_seen: NOW, source: "inventory" },
    ]);
  });

  test("deleting the device deletes its IPv6 addresses", () => {
    known(MAC, "10.0.0.5");
    record([{ mac: MAC, address: "fe80::5", scope: "link" }]);
    db.run("DELETE FROM devices");
    expect((db.query("SELECT count(*) AS n FROM device_ip6").get() as { n: number }).n).toBe(0);
  });

  test("each address records the MAC that answered for it, found by any of a merged device's MACs; a split takes that MAC's addresses along", () => {
    const OTHER = "00:11:22:00:00:02";
    known(MAC, "192.168.1.20");
    known(OTHER, "192.168.1.21");
    const id = (mac: string) => (db.query("SELECT id FROM devices WHERE mac_address = ?").get(mac) as { id: number }).id;
    const survivor = id(MAC);
    db.transaction(() => mergeDevices(db, survivor, id(OTHER)))();
    // The merged-in MAC still finds the device, and the sweep's answer says how it was learnt.
    db.transaction(() => recordIp6Sightings(db, [{ mac: OTHER, address: "fd00:1::2", scope: "ula" }], NOW, "sweep"))();
    record([{ mac: MAC, address: "fe80::1", scope: "link" }]);
    const v6 = (deviceId: number) =>
      new DeviceInventory(db).get(deviceId)!.addresses.filter((a) => a.family === 6).map(({ address, mac, source }) => ({ address, mac, source })).sort((a, b) => a.address.localeCompare(b.address));
    expect(v6(survivor)).toEqual([
      { address: "fd00:1::2", mac: OTHER, source: "sweep" },
      { address: "fe80::1", mac: MAC, source: "ndp" },
    ]);
    const { new_id } = splitMac(db, survivor, OTHER);
    expect(v6(new_id)).toEqual([{ address: "fd00:1::2", mac: OTHER, source: "sweep" }]);
    expect(v6(survivor)).toEqual([{ address: "fe80::1", mac: MAC, source: "ndp" }]);
  });

  test("the device list reads every device's addresses in one query per page", () => {
    for (let i = 1; i <= 3; i++) known(`00:11:22:00:00:0${i}`, `192.168.1.${20 + i}`);
    record([1, 2, 3].map((i) => ({ mac: `00:11:22:00:00:0${i}`, address: `fe80::${i}`, scope: "link" as const })));
    let queries = 0;
    const prepare = db.query.bind(db);
    (db as any).query = (sql: string) => {
      if (/FROM device_ip6/.test(sql)) queries++;
      return prepare(sql);
    };
    try {
      const { items } = new DeviceInventory(db).list({ limit: 50, offset: 0 });
      expect(items.map((d) => d.addresses.map((a) => a.address))).toEqual([1, 2, 3].map((i) => [`192.168.1.${20 + i}`, `fe80::${i}`]).sort((a, b) => a[0].localeCompare(b[0])));
      expect(queries).toBe(1);
    } finally {
      delete (db as any).query;
    }
  });
});
