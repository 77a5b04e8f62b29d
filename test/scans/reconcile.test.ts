// reconcile() on a real SQLite file: each kind of network change yields exactly its change record.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { openDatabase } from "../../src/db/database.ts";
import { Scratch } from "../helpers/scratch.ts";
import type { Observation, ObservedPort, ScanScope } from "../../src/inventory/observation.ts";
import { OFFLINE_AFTER_MISSES, reconcile } from "../../src/inventory/reconcile.ts";

let db: Database;
let scanNo = 0;

const scratch = new Scratch();
afterAll(() => scratch.clear());

beforeEach(() => {
  db?.close();
  db = openDatabase(scratch.dir("argus-reconcile-"));
  scanNo = 0;
});

const port = (p: number, service: string | null = null, product: string | null = null, version: string | null = null, identified = service !== null): ObservedPort => ({
  port: p, protocol: "tcp", service, identified, product, version, tls: false, banner: null, extra: {},
});

const host = (ip: string, mac: string | null, ports: ObservedPort[] | null = null, more: Partial<Observation> = {}): Observation => ({
  ip, mac, method: mac ? "arp" : "icmp", rtt_ms: 1, mac_randomized: false, vendor: null, hostname: null, hostname_source: null,
  device_type: null, os_name: null, ports, ...more,
});

const lan = (ports: number[] | null, complete = true, spec = ports ? `${ports[0]}-${ports.at(-1)}` : null): ScanScope => ({
  kind: "network", covers: (ip) => ip.startsWith("10.0.0."), ports: ports ? new Set(ports) : null, portSpec: spec, complete,
});

function scan(observations: Observation[], scope: ScanScope = lan(range(1, 1000))) {
  const started = `2026-01-01T00:${String(scanNo).padStart(2, "0")}:00Z`;
  const id = Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'normal', '10.0.0.0/24', 'running', ?)").run(started).lastInsertRowid);
  scanNo++;
  return db.transaction(() => reconcile(db, id, observations, scope, started))();
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const kinds = (r: ReturnType<typeof scan>) => r.changes.map((c) => `${c.change_type}:${c.device_ip}:${c.old_value ?? ""}>${c.new_value ?? ""}`).sort();

const A = "02:00:00:00:00:0a";
const B = "02:00:00:00:00:0b";
const C = "02:00:00:00:00:0c";
const baseline = () => [host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http")]), host("10.0.0.11", B, [port(23, "telnet")])];

describe("reconcile", () => {
  test("the first scan adds every device with its ports and risk", () => {
    const r = scan(baseline());
    expect(kinds(r)).toEqual(["device_added:10.0.0.10:>10.0.0.10", "device_added:10.0.0.11:>10.0.0.11"]);
    const telnet = db.query("SELECT d.risk_level, (SELECT count(*) FROM ports p WHERE p.device_id = d.id) AS open_ports FROM devices d WHERE mac_address = ?").get(B);
    expect(telnet).toEqual({ risk_level: "critical", open_ports: 1 });
    expect((db.query("SELECT count(*) AS n FROM threats").get() as { n: number }).n).toBeGreaterThan(0);
  });

  test("an unchanged network yields no changes", () => {
    scan(baseline());
    expect(scan(baseline()).changes).toEqual([]);
  });

  test("a new host, a closed and an opened port, a moved MAC: exactly those changes", () => {
    scan(baseline());
    const r = scan([
      host("10.0.0.20", A, [port(21, "ftp"), port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http")]),
      host("10.0.0.11", B, []),
      host("10.0.0.12", C, [port(443, "https")]),
    ]);
    expect(kinds(r)).toEqual([
      "device_added:10.0.0.12:>10.0.0.12",
      "ip_changed:10.0.0.20:10.0.0.10>10.0.0.20",
      "port_closed:10.0.0.11:23>",
      "port_opened:10.0.0.20:>21",
    ]);
    expect(r.changes.find((c) => c.change_type === "port_opened")!.severity).toBe("high");
    expect(db.query("SELECT risk_level FROM devices WHERE mac_address = ?").get(B)).toEqual({ risk_level: "none" });
  });

  test("an IP answering with a new MAC is mac_changed_for_ip (warning), not a new device", () => {
    scan(baseline());
    const r = scan([host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http")]), host("10.0.0.11", C, [port(23, "telnet")])]);
    expect(kinds(r)).toEqual([`mac_changed_for_ip:10.0.0.11:${B}>${C}`]);
    expect(r.changes[0].severity).toBe("warning");
  });

  test("a new MAC at the address of a device already offline is a new device (DHCP reuse), not a spoof", () => {
    scan(baseline());
    const only = [host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http")])];
    for (let i = 0; i < OFFLINE_AFTER_MISSES; i++) scan(only);
    expect(db.query("SELECT status FROM devices WHERE mac_address = ?").get(B)).toEqual({ status: "offline" });
    const r = scan([...only, host("10.0.0.11", C, [])]);
    expect(kinds(r)).toEqual(["device_added:10.0.0.11:>10.0.0.11"]);
  });

  test("a cancelled scan draws no conclusions from absence: no spoofing alarm, no rotation link", () => {
    const phone = "da:00:00:00:00:01";
    scan([...baseline(), host("10.0.0.30", phone, [], { mac_randomized: true, hostname: "pixel-7" })]);
    const partial = lan(range(1, 1000), false);
    const r = scan([host("10.0.0.11", C, [port(23, "telnet")]), host("10.0.0.31", "de:00:00:00:00:02", [], { mac_randomized: true, hostname: "pixel-7" })], partial);
    expect(kinds(r)).toEqual(["device_added:10.0.0.11:>10.0.0.11", "device_added:10.0.0.31:>10.0.0.31"]);
  });

  test("a device goes offline only after missing OFFLINE_AFTER_MISSES complete scans, then returns", () => {
    scan(baseline());
    const only = [host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http")])];
    for (let i = 1; i < OFFLINE_AFTER_MISSES; i++) expect(scan(only).changes).toEqual([]);
    expect(kinds(scan(only))).toEqual(["device_removed:10.0.0.11:10.0.0.11>"]);
    expect(scan(only).changes).toEqual([]);
    expect(kinds(scan(baseline()))).toEqual(["device_returned:10.0.0.11:>"]);
  });

  test("cancelled scans, device scans and scans of other subnets never count as absence", () => {
    scan(baseline());
    const only = [host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http")])];
    for (let i = 0; i < 3; i++) {
      expect(scan(only, lan(range(1, 1000), false)).changes).toEqual([]);
      expect(scan(only, { ...lan(range(1, 1000)), kind: "device" }).changes).toEqual([]);
      expect(scan([], { ...lan(null), covers: (ip) => ip.startsWith("10.9.") }).changes).toEqual([]);
    }
    expect(db.query("SELECT status FROM devices WHERE mac_address = ?").get(B)).toEqual({ status: "online" });
  });

  test("a quick scan (no ports) and a narrower port range never close ports they did not probe", () => {
    scan(baseline());
    expect(scan([host("10.0.0.10", A), host("10.0.0.11", B)], lan(null)).changes).toEqual([]);
    expect(scan([host("10.0.0.10", A, []), host("10.0.0.11", B, [])], lan([443, 8080], true, "443,8080")).changes).toEqual([]);
    expect((db.query("SELECT count(*) AS n FROM ports").get() as { n: number }).n).toBe(3);
  });

  test("a changed product version is service_changed; a probe that named nothing is not", () => {
    scan(baseline());
    const r = scan([host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "9.6p1"), port(80, null)]), host("10.0.0.11", B, [port(23, "telnet")])]);
    expect(kinds(r)).toEqual(["service_changed:10.0.0.10:ssh OpenSSH 8.9p1>ssh OpenSSH 9.6p1"]);
  });

  test("a new randomised MAC with a known device's hostname is mac_rotated, not device_added", () => {
    const phone = "da:00:00:00:00:01";
    scan([...baseline(), host("10.0.0.30", phone, [], { mac_randomized: true, hostname: "pixel-7" })]);
    const rotated = "de:00:00:00:00:02";
    const r = scan([...baseline(), host("10.0.0.31", rotated, [], { mac_randomized: true, hostname: "Pixel-7" })]);
    expect(kinds(r)).toEqual([`ip_changed:10.0.0.31:10.0.0.30>10.0.0.31`, `mac_rotated:10.0.0.31:${phone}>${rotated}`]);
    expect((db.query("SELECT count(*) AS n FROM devices").get() as { n: number }).n).toBe(3);
  });

  test("one MAC at several IPs is one device with several addresses", () => {
    const r = scan([host("10.0.0.10", A, []), host("10.0.0.40", A, [])]);
    expect(kinds(r)).toEqual(["device_added:10.0.0.10:>10.0.0.10"]);
    expect(db.query("SELECT ip_address FROM device_addresses ORDER BY ip_address").all()).toEqual([{ ip_address: "10.0.0.10" }, { ip_address: "10.0.0.40" }]);
    expect(scan([host("10.0.0.40", A, []), host("10.0.0.10", A, [])]).changes).toEqual([]);
  });

  test("hosts beyond a router (no MAC) are tracked by IP", () => {
    scan([host("10.0.0.50", null, [])]);
    expect(scan([host("10.0.0.50", null, [])]).changes).toEqual([]);
    expect((db.query("SELECT count(*) AS n FROM devices WHERE mac_address IS NULL").get() as { n: number }).n).toBe(1);
  });
});

describe("MAC rotation by service fingerprint", () => {
  test("a new randomised MAC serving exactly a missing device's distinctive services is that device", () => {
    const laptop = "da:00:00:00:00:07";
    const services = () => [port(22, "ssh", "OpenSSH", "9.6p1"), port(5000, "http", "AirTunes", "770.8.1"), port(7000, "http", "AirTunes", "770.8.1")];
    scan([...baseline(), host("10.0.0.60", laptop, services(), { mac_randomized: true })]);
    const next = "de:00:00:00:00:08";
    const r = scan([...baseline(), host("10.0.0.60", next, services(), { mac_randomized: true })]);
    expect(kinds(r)).toEqual([`mac_rotated:10.0.0.60:${laptop}>${next}`]);
  });

  test("generic hostnames never link two devices", () => {
    scan([...baseline(), host("10.0.0.70", "da:00:00:00:00:09", [], { mac_randomized: true, hostname: "android" })]);
    const r = scan([...baseline(), host("10.0.0.71", "de:00:00:00:00:10", [], { mac_randomized: true, hostname: "android" })]);
    expect(kinds(r)).toEqual(["device_added:10.0.0.71:>10.0.0.71"]);
  });
});

describe("comparing like with like", () => {
  test("a wider port range does not report the ports the previous scan never looked at as opened", () => {
    scan(baseline());
    const all = range(1, 65535);
    const wide = lan(all, true, "1-65535");
    const r = scan([host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http"), port(8080, "http")]), host("10.0.0.11", B, [port(23, "telnet")])], wide);
    expect(r.changes).toEqual([]);
    // Once both scans covered it, a new port is news.
    const again = scan([host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http"), port(8080, "http"), port(9000, "http")]), host("10.0.0.11", B, [port(23, "telnet")])], wide);
    expect(kinds(again)).toEqual(["port_opened:10.0.0.10:>9000"]);
  });

  test("a service named only by its port number is no service change and does not overwrite what a probe found", () => {
    scan(baseline());
    const r = scan([host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "www-guess", null, null, false)]), host("10.0.0.11", B, [port(23, "telnet")])]);
    expect(r.changes).toEqual([]);
    expect(db.query("SELECT service FROM ports WHERE port = 80").get()).toEqual({ service: "http" });
  });

  test("an excluded device is not reported gone, and stops showing online: offline without a change, its last seen kept", () => {
    // Issue 18: it used to stay "online" forever with a frozen last seen.
    scan(baseline());
    const lastSeen = db.query("SELECT last_seen FROM devices WHERE mac_address = ?").get(B);
    const excludingB: ScanScope = { ...lan(range(1, 1000)), covers: (ip, mac) => ip.startsWith("10.0.0.") && mac !== B, excludes: (ip, mac) => ip.startsWith("10.0.0.") && mac === B };
    const only = [host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http")])];
    const first = scan(only, excludingB);
    expect(first.changes).toEqual([]);
    expect(first.devicesRemoved).toBe(0);
    expect(db.query("SELECT status, last_seen FROM devices WHERE mac_address = ?").get(B)).toEqual({ status: "offline", ...(lastSeen as object) });
    for (let i = 0; i < 2; i++) expect(scan(only, excludingB).changes).toEqual([]);
    // Seen again once the exclusion is lifted: back online ("returned"), as any device that was offline.
    const back = scan(baseline());
    expect(kinds(back)).toEqual(["device_returned:10.0.0.11:>"]);
    expect(db.query("SELECT status FROM devices WHERE mac_address = ?").get(B)).toEqual({ status: "online" });
  });

  test("a cancelled or partial scan leaves an excluded device as it is", () => {
    scan(baseline());
    const partial: ScanScope = { ...lan(range(1, 1000), false), covers: (ip, mac) => ip.startsWith("10.0.0.") && mac !== B, excludes: (ip, mac) => ip.startsWith("10.0.0.") && mac === B };
    scan([host("10.0.0.10", A, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http")])], partial);
    expect(db.query("SELECT status FROM devices WHERE mac_address = ?").get(B)).toEqual({ status: "online" });
  });

  test("the same host seen without its MAC (no raw sockets) is the known device, not a new one", () => {
    scan(baseline());
    const r = scan([host("10.0.0.10", null, [port(22, "ssh", "OpenSSH", "8.9p1"), port(80, "http")]), host("10.0.0.11", B, [port(23, "telnet")])]);
    expect(r.changes).toEqual([]);
    expect((db.query("SELECT count(*) AS n FROM devices").get() as { n: number }).n).toBe(2);
    expect(db.query("SELECT mac_address FROM devices WHERE ip_address = '10.0.0.10'").get()).toEqual({ mac_address: A });
  });

  test("a host first known by IP only keeps its record when its MAC becomes known", () => {
    scan([host("10.0.0.50", null, [])]);
    const r = scan([host("10.0.0.50", C, [])]);
    expect(r.changes).toEqual([]);
    expect(db.query("SELECT mac_address FROM devices").all()).toEqual([{ mac_address: C }]);
  });

  test("a device scan never links a rotated MAC to a device that is online elsewhere", () => {
    const phone = "da:00:00:00:00:01";
    scan([...baseline(), host("10.0.0.30", phone, [], { mac_randomized: true, hostname: "annas-pixel" })]);
    const single: ScanScope = { kind: "device", covers: (ip) => ip === "10.0.0.77", ports: new Set(range(1, 1000)), portSpec: "1-1000", complete: true };
    const r = scan([host("10.0.0.77", "de:00:00:00:00:02", [], { mac_randomized: true, hostname: "annas-pixel" })], single);
    expect(kinds(r)).toEqual(["device_added:10.0.0.77:>10.0.0.77"]);
    expect(db.query("SELECT mac_address FROM devices WHERE hostname = 'annas-pixel' ORDER BY id").all()).toEqual([{ mac_address: phone }, { mac_address: "de:00:00:00:00:02" }]);
  });

  test("a device answering only at another of its known addresses did not move", () => {
    scan([host("10.0.0.10", A, []), host("10.0.0.40", A, [])]);
    expect(scan([host("10.0.0.40", A, [])]).changes).toEqual([]);
  });
});
