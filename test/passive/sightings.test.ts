// Passive sightings into the inventory on a real SQLite file, sharing the identity and change rules
// with scans; the burst memory and the flood cap on their own clocks.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { openDatabase } from "../../src/db/database.ts";
import { identifyDhcp, identifyMdns } from "../../src/identify/passive.ts";
import type { Observation, ScanScope } from "../../src/inventory/observation.ts";
import { reconcile } from "../../src/inventory/reconcile.ts";
import { recordSightings, type Sighting, type SightingPolicy } from "../../src/inventory/sightings.ts";
import type { RawSighting } from "../../src/net/native.ts";
import { FloodGate } from "../../src/passive/flood.ts";
import { SightingMemory } from "../../src/passive/memory.ts";
import { Scratch } from "../helpers/scratch.ts";

let db: Database;
const scratch = new Scratch();
afterAll(() => scratch.clear());
beforeEach(() => {
  db?.close();
  db = openDatabase(scratch.dir("argus-sightings-"));
});

const NOW = "2026-01-01T00:00:00Z";
const admitAll: SightingPolicy = { mayHaveRotated: () => true, admitNew: () => "admit", capPerMinute: 60 };
const sighting = (mac: string, ip: string | null, more: Partial<Sighting> = {}): Sighting => ({ mac, ip, source: "arp", iface: "eth0", mac_randomized: (parseInt(mac.slice(0, 2), 16) & 2) !== 0, ...more });
const sight = (list: Sighting[], policy = admitAll) => db.transaction(() => recordSightings(db, list, policy, NOW))();
const kinds = (r: { changes: { change_type: string; device_ip: string | null; scan_id: number | null }[] }) => r.changes.map((c) => `${c.change_type}:${c.device_ip}:${c.scan_id}`);
const row = (mac: string) => db.query("SELECT * FROM devices WHERE mac_address = ?").get(mac) as any;

function scan(observations: Observation[], complete = true) {
  const id = Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'quick', '10.0.0.0/24', 'running', ?)").run(NOW).lastInsertRowid);
  const scope: ScanScope = { kind: "network", covers: (ip) => ip.startsWith("10.0.0."), ports: null, portSpec: null, complete };
  return db.transaction(() => reconcile(db, id, observations, scope, NOW))();
}
const host = (ip: string, mac: string, more: Partial<Observation> = {}): Observation => ({
  ip, mac, method: "arp", rtt_ms: 1, mac_randomized: false, vendor: null, hostname: null, hostname_source: null, device_type: null, os_name: null, ports: null, ...more,
});

describe("sightings into the inventory", () => {
  test("an unknown MAC is device_added with scan_id null; the same again changes nothing", () => {
    expect(kinds(sight([sighting("00:11:22:00:00:01", "10.0.0.5")]))).toEqual(["device_added:10.0.0.5:null"]);
    expect(kinds(sight([sighting("00:11:22:00:00:01", "10.0.0.5")]))).toEqual([]);
  });

  test("a DISCOVER without an address adds nothing; a known device still learns its names from it", () => {
    expect(sight([sighting("00:11:22:00:00:01", null, { source: "dhcp", hostname: "nas" })]).changes).toEqual([]);
    expect(row("00:11:22:00:00:01")).toBeNull();
    sight([sighting("00:11:22:00:00:01", "10.0.0.5")]);
    sight([sighting("00:11:22:00:00:01", null, { source: "dhcp", hostname: "nas", hostname_source: "dhcp" })]);
    expect(row("00:11:22:00:00:01")).toMatchObject({ hostname: "nas", hostname_source: "dhcp" });
  });

  test("an IP move is ip_changed; going back to a known address is not", () => {
    sight([sighting("00:11:22:00:00:01", "10.0.0.5")]);
    expect(kinds(sight([sighting("00:11:22:00:00:01", "10.0.0.6")]))).toEqual(["ip_changed:10.0.0.6:null"]);
    expect(kinds(sight([sighting("00:11:22:00:00:01", "10.0.0.5")]))).toEqual([]);
    expect(row("00:11:22:00:00:01").ip_address).toBe("10.0.0.5");
  });

  test("a device that scans took offline and is heard again is device_returned", () => {
    scan([host("10.0.0.5", "00:11:22:00:00:01"), host("10.0.0.6", "00:11:22:00:00:02")]);
    scan([host("10.0.0.6", "00:11:22:00:00:02")]);
    scan([host("10.0.0.6", "00:11:22:00:00:02")]);
    expect(row("00:11:22:00:00:01").status).toBe("offline");
    expect(kinds(sight([sighting("00:11:22:00:00:01", "10.0.0.5")]))).toEqual(["device_returned:10.0.0.5:null"]);
    expect(row("00:11:22:00:00:01")).toMatchObject({ status: "online", missed_scans: 0 });
  });

  test("silence is never absence: sightings of others never take a device offline", () => {
    sight([sighting("00:11:22:00:00:01", "10.0.0.5")]);
    for (let i = 0; i < 5; i++) sight([sighting(`00:11:22:00:01:0${i}`, `10.0.0.${20 + i}`)]);
    expect(row("00:11:22:00:00:01")).toMatchObject({ status: "online", missed_scans: 0 });
  });

  test("a new MAC at the address of an online device is mac_changed_for_ip; at an offline one's, device_added", () => {
    sight([sighting("00:11:22:00:00:01", "10.0.0.5")]);
    expect(kinds(sight([sighting("00:11:22:00:00:09", "10.0.0.5")]))).toEqual(["mac_changed_for_ip:10.0.0.5:null"]);
    db.query("UPDATE devices SET status = 'offline' WHERE mac_address IN ('00:11:22:00:00:01', '00:11:22:00:00:09')").run();
    expect(kinds(sight([sighting("00:11:22:00:00:0a", "10.0.0.5")]))).toEqual(["device_added:10.0.0.5:null"]);
  });

  test("a randomised MAC with a known hostname is mac_rotated, only when the known device may have rotated", () => {
    sight([sighting("02:00:00:00:00:01", "10.0.0.5", { source: "dhcp", hostname: "annas-pixel", hostname_source: "dhcp" })]);
    const busy: SightingPolicy = { ...admitAll, mayHaveRotated: () => false };
    expect(kinds(sight([sighting("06:00:00:00:00:02", "10.0.0.6", { source: "dhcp", hostname: "annas-pixel", hostname_source: "dhcp" })], busy))).toEqual(["device_added:10.0.0.6:null"]);
    expect(kinds(sight([sighting("0a:00:00:00:00:03", "10.0.0.7", { source: "dhcp", hostname: "annas-pixel", hostname_source: "dhcp" })]))[0]).toBe("mac_rotated:10.0.0.7:null");
  });

  test("a generic hostname never links MACs; a unique DHCP fingerprint of a randomised device does", () => {
    sight([sighting("02:00:00:00:00:01", "10.0.0.5", { hostname: "android", dhcp_fingerprint: "1,3,6|android-dhcp-13" })]);
    expect(kinds(sight([sighting("06:00:00:00:00:02", "10.0.0.6", { hostname: "android", dhcp_fingerprint: "1,3,6|android-dhcp-14" })]))).toEqual(["device_added:10.0.0.6:null"]);
    expect(kinds(sight([sighting("0a:00:00:00:00:03", "10.0.0.7", { dhcp_fingerprint: "1,3,6|android-dhcp-13" })]))[0]).toBe("mac_rotated:10.0.0.7:null");
  });

  test("a scan's reverse-DNS name never overwrites a DHCP hostname; a scan's type guess never a fingerprint's", () => {
    sight([sighting("00:11:22:00:00:01", "10.0.0.5", { source: "dhcp", hostname: "annas-laptop", hostname_source: "dhcp", device_type: "computer", device_type_source: "dhcp-fingerprint", os_name: "Windows", os_source: "dhcp-fingerprint" })]);
    scan([host("10.0.0.5", "00:11:22:00:00:01", { hostname: "10-0-0-5.isp.example", hostname_source: "dns", device_type: "iot", os_name: "Linux" })]);
    expect(row("00:11:22:00:00:01")).toMatchObject({ hostname: "annas-laptop", hostname_source: "dhcp", device_type: "computer", device_type_source: "dhcp-fingerprint", os_name: "Windows" });
    // ...while a scan still names a device nothing better named.
    scan([host("10.0.0.5", "00:11:22:00:00:01"), host("10.0.0.7", "00:11:22:00:00:07", { hostname: "printer.lan", hostname_source: "dns" })]);
    expect(row("00:11:22:00:00:07")).toMatchObject({ hostname: "printer.lan", hostname_source: "dns" });
  });

  test("the flood gate refuses new devices but never known ones, and the first refusal records one sighting_flood", () => {
    sight([sighting("00:11:22:00:00:01", "10.0.0.5")]);
    let calls = 0;
    const capped: SightingPolicy = { ...admitAll, admitNew: () => (++calls === 1 ? "refuse-first" : "refuse") };
    const r = sight([sighting("00:11:22:00:00:02", "10.0.0.6"), sighting("00:11:22:00:00:03", "10.0.0.7"), sighting("00:11:22:00:00:01", "10.0.0.8")], capped);
    expect(r.refused).toBe(2);
    expect(r.changes.map((c) => c.change_type)).toEqual(["sighting_flood", "ip_changed"]);
    expect(r.changes[0]).toMatchObject({ severity: "warning", scan_id: null, device_id: null, new_value: "eth0" });
  });
});

describe("flood gate", () => {
  test("up to the cap a minute, then one warning; ARP-only newcomers wait for calm, DHCP joins get in as the minute allows", () => {
    let now = 0;
    const g = new FloodGate(3, 120_000, () => now);
    expect([1, 2, 3].map(() => g.admit("eth0", false))).toEqual(["admit", "admit", "admit"]);
    expect(g.admit("eth0", false)).toBe("refuse-first");
    expect(g.admit("eth0", true)).toBe("refuse");
    expect(g.admit("eth1", false)).toBe("admit"); // per interface
    now = 61_000; // a new minute, still flooding
    expect(g.admit("eth0", false)).toBe("refuse");
    expect(g.admit("eth0", true)).toBe("admit");
    now = 200_000; // calm for longer than calmMs
    expect(g.flooding("eth0")).toBe(true);
    expect(g.admit("eth0", false)).toBe("admit");
    expect(g.flooding("eth0")).toBe(false);
  });
});

describe("flood gate: completed DHCP handshakes", () => {
  test("a device whose handshake was heard is admitted from its own budget, which the flood's requests cannot use up", () => {
    let now = 0;
    const g = new FloodGate(3, 120_000, () => now);
    // DHCP requests from random MACs (joining, no handshake) take the whole minute's cap.
    expect([1, 2, 3].map(() => g.admit("eth0", true))).toEqual(["admit", "admit", "admit"]);
    expect(g.admit("eth0", true)).toBe("refuse-first");
    expect(g.admit("eth0", true)).toBe("refuse");
    // A real newcomer's ACK was heard: admitted, up to the cap a minute of handshakes.
    expect([1, 2, 3].map(() => g.admit("eth0", true, true))).toEqual(["admit", "admit", "admit"]);
    expect(g.admit("eth0", true, true)).toBe("refuse");
    now = 61_000;
    expect(g.admit("eth0", true, true)).toBe("admit");
    expect(g.flooding("eth0")).toBe(true);
  });

  test("more handshakes than the budget (forged ACKs) are a flood: the interface floods before the plain cap is reached", () => {
    const g = new FloodGate(3, 120_000, () => 0);
    expect([1, 2, 3].map(() => g.admit("eth0", true, true))).toEqual(["admit", "admit", "admit"]);
    expect(g.flooding("eth0")).toBe(false);
    // The fourth handshake in the minute falls back to the plain cap, which still has room, but floods.
    expect(g.admit("eth0", true, true)).toBe("admit");
    expect(g.flooding("eth0")).toBe(true);
  });

  test("refusesNewcomer says whether an ARP-only newcomer is refused now, and keeps the flood alive only while asked", () => {
    let now = 0;
    const g = new FloodGate(1, 120_000, () => now);
    expect(g.refusesNewcomer("eth0")).toBe(false);
    g.admit("eth0", false);
    expect(g.admit("eth0", false)).toBe("refuse-first");
    now = 100_000;
    expect(g.refusesNewcomer("eth0")).toBe(true); // pressure at 100 s
    now = 219_000;
    expect(g.refusesNewcomer("eth0")).toBe(true);
    now = 340_000; // calm for longer than calmMs since the last newcomer
    expect(g.refusesNewcomer("eth0")).toBe(false);
    expect(g.flooding("eth0")).toBe(false);
  });
});

describe("burst memory", () => {
  const raw = (mac: string, more: Partial<RawSighting> = {}): RawSighting => ({
    source: "arp", mac, ip: "10.0.0.5", auxIp: null, ifindex: 2, flags: [], arpOp: 1, dhcpOp: 0, dhcpType: 0, mdnsResponse: false, seenMs: 0,
    hostname: null, prl: null, vendorClass: null, services: [], model: null, ...more,
  });

  test("a chatty device is written once per window unless it says something new", () => {
    let now = 0;
    const m = new SightingMemory(300_000, () => now);
    expect(m.fresh(raw("00:11:22:00:00:01"), "10.0.0.5")).toBe(true);
    expect(m.fresh(raw("00:11:22:00:00:01"), "10.0.0.5")).toBe(false);
    expect(m.fresh(raw("00:11:22:00:00:01", { source: "mdns", services: ["_ipp._tcp"] }), "10.0.0.5")).toBe(true);
    expect(m.fresh(raw("00:11:22:00:00:01"), "10.0.0.5")).toBe(false); // says less, nothing new
    expect(m.fresh(raw("00:11:22:00:00:01"), "10.0.0.6")).toBe(true);
    now = 301_000;
    expect(m.fresh(raw("00:11:22:00:00:01"), "10.0.0.6")).toBe(true);
  });

  test("a DISCOVER's hostname reaches the same MAC's later ARP sightings", () => {
    const m = new SightingMemory();
    m.note(raw("00:11:22:00:00:01", { source: "dhcp", ip: null, hostname: "nas", prl: "1,3,6" }));
    expect(m.withHints(raw("00:11:22:00:00:01"))).toMatchObject({ hostname: "nas", prl: "1,3,6" });
    expect(m.withHints(raw("00:11:22:00:00:02")).hostname).toBeNull();
  });
});

describe("identification", () => {
  test("DHCP fingerprints: vendor class and option 55", () => {
    expect(identifyDhcp("1,3,6,15,31,33,43,44,46,47,119,121,249,252", "MSFT 5.0")).toEqual({ os: "Windows", type: "computer" });
    expect(identifyDhcp("1,3,6,15,26,28,51,58,59,43", "android-dhcp-13")).toEqual({ os: "Android", type: "phone" });
    expect(identifyDhcp("1,121,3,6,15,108,114,119,252,95,44,46", null)).toEqual({ os: "macOS", type: "computer" });
    expect(identifyDhcp("1,121,3,6,15,108,114,119,252", null)).toEqual({ os: "iOS", type: "phone" });
    expect(identifyDhcp("1,3,44,6,7,12,15,22,54,58,59,69,18,144", "Hewlett-Packard JetDirect")).toEqual({ os: "Printer firmware", type: "printer" });
    expect(identifyDhcp("1,2,3", null)).toBeNull();
  });

  test("mDNS service types and _device-info models", () => {
    expect(identifyMdns(["_googlecast._tcp"], null)).toMatchObject({ type: "tv", source: "mdns-service" });
    expect(identifyMdns(["_http._tcp", "_ipp._tcp"], null)).toMatchObject({ type: "printer" });
    expect(identifyMdns(["_raop._tcp"], null)).toMatchObject({ type: "speaker" });
    expect(identifyMdns(["_airplay._tcp", "_raop._tcp"], null)).toMatchObject({ type: "tv" });
    expect(identifyMdns(["_hap._tcp"], null)).toMatchObject({ type: "iot" });
    expect(identifyMdns(["_smb._tcp"], null)).toMatchObject({ type: "nas" });
    expect(identifyMdns(["_smb._tcp"], "MacBookPro18,3")).toEqual({ type: "computer", os: "macOS", source: "mdns-model", evidence: "announces the model MacBookPro18,3" });
    expect(identifyMdns(["_http._tcp"], null)).toBeNull();
  });
});
