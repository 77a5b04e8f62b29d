// Trust that a frame cannot steal (SPEC §7), on a real SQLite file: a re-identification carries
// trust only on two independent kinds of evidence, a link is undone when the old MAC speaks again,
// claims of the gateway's or another device's address are conflicts, and one MAC's address moves
// are limited per window. The per-MAC limits and alert gates on their own clocks.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { openDatabase } from "../../src/db/database.ts";
import { completedNetworkScan } from "../helpers/known-inventory.ts";
import { DeviceInventory } from "../../src/inventory/devices.ts";
import { InventoryWriter } from "../../src/inventory/identity.ts";
import { recordSightings, type Sighting, type SightingPolicy } from "../../src/inventory/sightings.ts";
import { AddressClaims, AlertBudget, OnceGate } from "../../src/passive/claims.ts";
import { judgeRouter, judgeServer, routeGateways } from "../../src/passive/infrastructure.ts";
import type { RawSighting } from "../../src/net/native.ts";
import { Scratch } from "../helpers/scratch.ts";

let db: Database;
const scratch = new Scratch();
afterAll(() => scratch.clear());
beforeEach(() => {
  db?.close();
  db = openDatabase(scratch.dir("argus-trust-"));
  // These rules are those of a watched LAN: its first network scan has completed, so newcomers are
  // news (before that, the quiet first run makes them info; test/inventory/first-run.test.ts).
  completedNetworkScan(db);
});

const NOW = "2026-01-01T00:00:00Z";
const base: SightingPolicy = { mayHaveRotated: () => true, admitNew: () => "admit", capPerMinute: 60 };
const sighting = (mac: string, ip: string | null, more: Partial<Sighting> = {}): Sighting => ({ mac, ip, source: "arp", iface: "eth0", mac_randomized: (parseInt(mac.slice(0, 2), 16) & 2) !== 0, ...more });
const dhcpName = (name: string) => ({ source: "dhcp" as const, hostname: name, hostname_source: "dhcp" });
const mdnsName = (name: string) => ({ source: "mdns" as const, hostname: name, hostname_source: "mdns", mdns_name: name });
const sight = (list: Sighting[], policy = base, now = NOW) => db.transaction(() => recordSightings(db, list, policy, now))();
const kinds = (r: { changes: { change_type: string; severity: string }[] }) => r.changes.map((c) => `${c.change_type}:${c.severity}`);
const row = (mac: string) => db.query("SELECT * FROM devices WHERE mac_address = ?").get(mac) as any;
const api = (mac: string) => new DeviceInventory(db).get(row(mac).id)!;
const trust = (mac: string) => db.query("UPDATE devices SET is_trusted = 1, label = 'Anna', zone = 'Family' WHERE mac_address = ?").run(mac);

describe("re-identification and trust", () => {
  const laptop = "02:aa:00:00:00:01";
  const guest = "06:bb:00:00:00:02";

  test("a new MAC linked to a trusted device by its DHCP name alone: trust pending, a warning, confirmed by the owner", () => {
    sight([sighting(laptop, "10.0.0.5", dhcpName("annas-laptop"))]);
    trust(laptop);
    const r = sight([sighting(guest, "10.0.0.66", dhcpName("annas-laptop"))]);
    // Linked (and, at another address, moved): no stranger, but a warning instead of an info.
    expect(kinds(r)).toEqual(["mac_rotated:warning", "ip_changed:info"]);
    expect(r.changes[0].description).toContain("trust is pending");
    expect(api(guest)).toMatchObject({ is_trusted: false, trust: "pending", label: "Anna" });
    // The owner confirms: trusted again, and the change is named in the update.
    const inv = new DeviceInventory(db);
    expect(inv.update(row(guest).id, { is_trusted: true })!.changed).toEqual({ is_trusted: { old: false, new: true }, trust: { old: "pending", new: "trusted" } });
    expect(api(guest)).toMatchObject({ is_trusted: true, trust: "trusted" });
  });

  test("an untrusted device rotating stays an info mac_rotated, as before", () => {
    sight([sighting(laptop, "10.0.0.5", dhcpName("pixel"))]);
    expect(kinds(sight([sighting(guest, "10.0.0.6", dhcpName("pixel"))]))).toEqual(["mac_rotated:info", "ip_changed:info"]);
    expect(api(guest).trust).toBe("untrusted");
  });

  test("broadcast evidence never carries trust, however many kinds agree: a guest can replay the DHCP and the mDNS name", () => {
    sight([sighting(laptop, "10.0.0.5", dhcpName("annas-laptop"))]);
    sight([sighting(laptop, "10.0.0.5", mdnsName("annas-mbp"))]);
    trust(laptop);
    sight([sighting(guest, "10.0.0.6", dhcpName("annas-laptop"))]);
    expect(api(guest).trust).toBe("pending");
    // The same DHCP name again is the same kind of evidence: still pending.
    sight([sighting(guest, "10.0.0.6", dhcpName("annas-laptop"))]);
    expect(api(guest).trust).toBe("pending");
    // The device's own mDNS name, replayed: a second kind, but one anybody on the LAN has heard.
    const r = sight([sighting(guest, "10.0.0.6", mdnsName("annas-mbp"))]);
    expect(api(guest)).toMatchObject({ trust: "pending", is_trusted: false });
    expect(kinds(r)).toEqual([]);
    expect((db.query("SELECT evidence FROM mac_links WHERE new_mac = ?").get(guest) as any).evidence.split(",").sort()).toEqual(["dhcp", "mdns"]);
  });

  test("trust carries when the device also answers Argus's probes like the trusted one, and the carry is a change", () => {
    sight([sighting(laptop, "10.0.0.5", dhcpName("annas-laptop"))]);
    trust(laptop);
    const w = new InventoryWriter(db, null, NOW);
    const device = w.byMac(laptop, null)!;
    // Linked by the same services (a scan's fingerprint) alone: pending.
    db.transaction(() => w.rotate(device, guest, "10.0.0.6", ["services"]))();
    expect(api(guest).trust).toBe("pending");
    // Its DHCP name then agrees: services and one more kind carry trust, and an info change says so.
    const r = sight([sighting(guest, "10.0.0.6", dhcpName("annas-laptop"))]);
    expect(api(guest)).toMatchObject({ trust: "trusted", is_trusted: true, label: "Anna" });
    expect(kinds(r)).toContain("mac_rotated:info");
    expect(r.changes.find((c) => c.change_type === "mac_rotated")!.description).toContain("trust carries");
  });

  test("the old MAC speaking again while the new one is present undoes the link: two devices, a warning", () => {
    sight([sighting(laptop, "10.0.0.5", dhcpName("annas-laptop"))]);
    trust(laptop);
    sight([sighting(guest, "10.0.0.66", dhcpName("annas-laptop"))]);
    const id = row(guest).id;
    const r = sight([sighting(laptop, "10.0.0.5")], { ...base, present: (m) => m === guest });
    expect(kinds(r)).toEqual(["identity_conflict:warning"]);
    expect(r.changes[0].description).toContain("Two devices claim to be annas-laptop");
    // The laptop has its record back, with its trust, label and zone; the guest is a stranger.
    expect(row(laptop)).toMatchObject({ id, is_trusted: 1, trust_pending: 0, label: "Anna", zone: "Family" });
    expect(row(guest)).toMatchObject({ is_trusted: 0, trust_pending: 0, label: null, zone: null, ip_address: "10.0.0.66" });
    expect(api(guest).trust).toBe("untrusted");
    // The link is spent: the guest speaking again is just the guest.
    expect(kinds(sight([sighting(guest, "10.0.0.66")]))).toEqual([]);
  });

  test("undoing a link restores the trust the old MAC had: a pending one stays pending", () => {
    const third = "0a:cc:00:00:00:03";
    sight([sighting(laptop, "10.0.0.5", dhcpName("annas-laptop"))]);
    trust(laptop);
    sight([sighting(guest, "10.0.0.66", dhcpName("annas-laptop"))]);
    sight([sighting(third, "10.0.0.67", dhcpName("annas-laptop"))]);
    expect(api(third).trust).toBe("pending");
    sight([sighting(guest, "10.0.0.66")], { ...base, present: (m) => m === third });
    expect(api(guest)).toMatchObject({ trust: "pending", is_trusted: false });
    sight([sighting(laptop, "10.0.0.5")], { ...base, present: (m) => m === guest });
    expect(api(laptop)).toMatchObject({ trust: "trusted", is_trusted: true, label: "Anna" });
  });

  test("the old MAC coming back after the new one left is the device rotating back (info), no second device", () => {
    sight([sighting(laptop, "10.0.0.5", dhcpName("annas-laptop"))]);
    sight([sighting(guest, "10.0.0.6", dhcpName("annas-laptop"))]);
    expect(kinds(sight([sighting(laptop, "10.0.0.5")]))).toEqual(["mac_rotated:info"]);
    expect(row(guest)).toBeNull();
  });

  test("the rotation path is under the flood cap: a refused newcomer links to nobody", () => {
    sight([sighting(laptop, "10.0.0.5", dhcpName("annas-laptop"))]);
    trust(laptop);
    const r = sight([sighting(guest, "10.0.0.66", dhcpName("annas-laptop"))], { ...base, admitNew: () => "refuse" });
    expect(r.refused).toBe(1);
    expect(r.changes).toEqual([]);
    expect(row(laptop)).toMatchObject({ is_trusted: 1 });
    expect(row(guest)).toBeNull();
  });
});

describe("address claims", () => {
  const gw = { ip: "10.0.0.1", mac: "00:1d:0f:00:00:01" };
  const policy: SightingPolicy = { ...base, gateways: [gw] };

  test("a known device claiming the gateway's address is a critical ip_conflict and moves nowhere", () => {
    sight([sighting("00:11:22:00:00:07", "10.0.0.7")], policy);
    const r = sight([sighting("00:11:22:00:00:07", "10.0.0.1")], policy);
    expect(kinds(r)).toEqual(["ip_conflict:critical"]);
    expect(r.changes[0]).toMatchObject({ device_mac: "00:11:22:00:00:07", device_ip: "10.0.0.1", old_value: gw.mac, new_value: "00:11:22:00:00:07" });
    expect(row("00:11:22:00:00:07").ip_address).toBe("10.0.0.7");
    // An unknown MAC doing it: the alert, and no device for it.
    expect(kinds(sight([sighting("00:11:22:00:00:08", "10.0.0.1")], policy))).toEqual(["ip_conflict:critical"]);
    expect(row("00:11:22:00:00:08")).toBeNull();
    // The gateway itself is the gateway.
    expect(kinds(sight([sighting(gw.mac, gw.ip)], policy))).toEqual(["device_added:warning"]);
  });

  test("random MACs claiming the gateway's address share one alert budget; known devices are each reported", () => {
    const budget = new AlertBudget();
    const once = new OnceGate();
    const limited: SightingPolicy = { ...policy, once: (k) => once.once(k), budget: (kind) => budget.allow(kind, 10) };
    sight([sighting("00:11:22:00:00:07", "10.0.0.7")], limited);
    const flood = Array.from({ length: 200 }, (_, i) => sighting(`00:11:22:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`, "10.0.0.1"));
    expect(kinds(sight(flood.slice(8), limited))).toEqual(Array(10).fill("ip_conflict:critical"));
    expect(kinds(sight([sighting("00:11:22:00:00:07", "10.0.0.1")], limited))).toEqual(["ip_conflict:critical"]);
    expect(kinds(sight([sighting("00:11:22:00:00:07", "10.0.0.1")], limited))).toEqual([]);
  });

  test("a known device claiming the address of another device heard lately is an ip_conflict warning", () => {
    sight([sighting("00:11:22:00:00:05", "10.0.0.5"), sighting("00:11:22:00:00:07", "10.0.0.7")]);
    const r = sight([sighting("00:11:22:00:00:07", "10.0.0.5")]);
    expect(kinds(r)).toEqual(["ip_conflict:warning"]);
    expect(row("00:11:22:00:00:07").ip_address).toBe("10.0.0.7");
    // Once the holder has been silent for a while, the address is free to move to.
    expect(kinds(sight([sighting("00:11:22:00:00:07", "10.0.0.5")], base, "2026-01-01T00:30:00Z"))).toEqual(["ip_changed:info"]);
  });

  test("250 claims from one MAC: one ip_changed, one address_hopping", () => {
    const claims = new AddressClaims();
    const limited: SightingPolicy = { ...base, claim: (mac) => claims.claim(mac) };
    sight([sighting("00:11:22:00:00:09", "10.0.1.1")], limited);
    const all: string[] = [];
    for (let i = 2; i <= 251; i++) all.push(...kinds(sight([sighting("00:11:22:00:00:09", `10.0.${1 + (i >> 8)}.${i & 0xff}`)], limited)));
    expect(all).toEqual(["ip_changed:info", "address_hopping:warning"]);
  });
});

describe("per-MAC limits and alert gates", () => {
  test("address claims: reported, silent, hopping once, frozen; a new window starts over; bounded", () => {
    let now = 0;
    const c = new AddressClaims(600_000, 3, () => now);
    expect([1, 2, 3, 4, 5].map(() => c.claim("m"))).toEqual(["report", "silent", "hopping", "frozen", "frozen"]);
    expect(c.claim("other")).toBe("report");
    now = 600_000;
    expect(c.claim("m")).toBe("report");
    for (let i = 0; i < 10_000; i++) c.claim(`flood-${i}`);
    expect((c as any).macs.size).toBeLessThanOrEqual(4096);
  });

  test("an alert key is raised once per window", () => {
    let now = 0;
    const g = new OnceGate(1000, () => now);
    expect([g.once("a"), g.once("a"), g.once("b")]).toEqual([true, false, true]);
    now = 1000;
    expect(g.once("a")).toBe(true);
  });

  test("DHCP replies: learned when none is known, known only on MAC and server id, else rogue", () => {
    const reply = (ethSrc: string, serverId: string | null, srcIp: string | null = null) => ({ ethSrc, serverId, srcIp }) as RawSighting;
    const none = { gateways: [], dhcp_servers: [] };
    const known = { gateways: [], dhcp_servers: [{ server_id: "10.0.0.1", mac: "00:1d:0f:00:00:01" }] };
    expect(judgeServer(reply("00:1d:0f:00:00:01", "10.0.0.1"), none)).toBe("learn");
    expect(judgeServer(reply("00:1d:0f:00:00:01", "10.0.0.1"), known)).toBe("known");
    expect(judgeServer(reply("00:1d:0f:00:00:01", null, "10.0.0.1"), known)).toBe("known");
    // Option 54 copied from the real server, sent from another MAC.
    expect(judgeServer(reply("02:66:00:00:00:01", "10.0.0.1"), known)).toBe("rogue");
    expect(judgeServer(reply("00:1d:0f:00:00:01", "10.0.0.9"), known)).toBe("rogue");
    expect(judgeServer(reply("02:66:00:00:00:01", null), known)).toBe("unnamed");
  });

  test("an IPv6 router is learned first, rogue after; one whose RA came behind extension headers is never learned", () => {
    const router = { mac: "00:1d:0f:00:00:01", ip: "fe80::1" };
    const none = { gateways: [], dhcp_servers: [], routers6: [] };
    const known = { ...none, routers6: [router] };
    expect(judgeRouter(router, none)).toBe("learn");
    expect(judgeRouter(router, known)).toBe("known");
    expect(judgeRouter({ mac: "02:66:00:00:00:01", ip: "fe80::1" }, known)).toBe("rogue");
    // Wrapped: hosts still take it, no real router sends it, so nothing vouches for it.
    expect(judgeRouter({ mac: "02:66:00:00:00:01", ip: "fe80::66" }, none, true)).toBe("rogue");
    expect(judgeRouter({ mac: "02:66:00:00:00:01", ip: "fe80::66" }, known, true)).toBe("rogue");
    // The known router padded with a header is still the known router.
    expect(judgeRouter(router, known, true)).toBe("known");
  });

  test("the default gateway per interface comes from the routing table", () => {
    const table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t0100E70A\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t0000E70A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
    expect([...routeGateways(table)]).toEqual([["eth0", "10.231.0.1"]]);
  });
});
