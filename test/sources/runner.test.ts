// The source framework on a real SQLite file and real lease files: what a source's observations do to
// the inventory (names ranked below the wire's DHCP name, never over the owner's label; new devices
// only by MAC and address on a confirmed subnet; names only by address), how a run is recorded
// (ok, failed with its reason, disabled), the time limit, and the events published after commit.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { validateConfig } from "../../src/config/schema.ts";
import { resolvedView } from "../../src/config/resolved.ts";
import { openDatabase } from "../../src/db/database.ts";
import { EventFeed, type FeedEvent } from "../../src/events.ts";
import { DeviceInventory } from "../../src/inventory/devices.ts";
import { recordSightings, type Sighting } from "../../src/inventory/sightings.ts";
import { markDeparted } from "../../src/inventory/departures.ts";
import { InventoryWriter } from "../../src/inventory/identity.ts";
import type { Observation, ScanScope } from "../../src/inventory/observation.ts";
import { deviceSessions } from "../../src/inventory/presence.ts";
import { reconcile } from "../../src/inventory/reconcile.ts";
import { InventoryStats } from "../../src/inventory/stats.ts";
import type { Change } from "../../src/inventory/observation.ts";
import { SourceBusyError, SourceRunner, UnknownSourceError } from "../../src/sources/runner.ts";
import { sourceType } from "../../src/sources/registry.ts";
import { SourceError, type SourceType } from "../../src/sources/types.ts";
import { Type } from "@sinclair/typebox";
import { completedNetworkScan } from "../helpers/known-inventory.ts";
import { Scratch } from "../helpers/scratch.ts";

const scratch = new Scratch();
let db: Database;
let dir: string;
let runner: SourceRunner | null = null;
afterAll(() => scratch.clear());
beforeEach(async () => {
  await runner?.stop();
  runner = null;
  db?.close();
  dir = scratch.dir("argus-sources-");
  db = openDatabase(dir);
});

const FUTURE = Math.floor(Date.now() / 1000) + 3600;
const leaseLine = (mac: string, ip: string, name: string) => `${FUTURE} ${mac} ${ip} ${name} *`;

/** A real, hanging source type (a reader that never answers and ignores its signal). */
const hanging: SourceType = { type: "hanging", fields: Type.Object({}), defaultIntervalS: 60, read: () => new Promise(() => {}) };
const types = (t: string) => (t === "hanging" ? hanging : sourceType(t));

function start(sources: unknown[], opts: { timeoutMs?: number; subnets?: string[]; exclude?: string[] } = {}) {
  const config = validateConfig({ subnets: opts.subnets ?? ["10.0.0.0/24"], exclude: opts.exclude ?? [], sources: sources.filter((s: any) => s.type !== "hanging") });
  (config.sources as unknown[]).push(...sources.filter((s: any) => s.type === "hanging"));
  const feed = new EventFeed();
  const events: FeedEvent[] = [];
  feed.subscribe((e) => events.push(e));
  const queued: Change[][] = [];
  const r = new SourceRunner({ db, config: () => resolvedView(config), sink: { enqueue: (c) => void queued.push(c) }, feed, timeoutMs: opts.timeoutMs, types });
  runner = r;
  return { runner: r, events, queued };
}
const device = (mac: string) => db.query("SELECT * FROM devices WHERE mac_address = ?").get(mac) as any;
const names = (id: number) => new DeviceInventory(db).get(id)!.names.map((n) => `${n.source}:${n.name}`).sort();
const sight = (list: Sighting[]) => db.transaction(() => recordSightings(db, list, { mayHaveRotated: () => false, admitNew: () => "admit", capPerMinute: 60 }, new Date().toISOString()))();

describe("observations into the inventory", () => {
  test("a lease for a host not seen yet on a confirmed subnet is a new device named by the source; outside the subnets it is not", async () => {
    const path = join(dir, "dnsmasq.leases");
    writeFileSync(path, [leaseLine("3c:07:54:00:00:01", "10.0.0.21", "nas"), leaseLine("3c:07:54:00:00:02", "192.168.9.9", "elsewhere")].join("\n"));
    const { runner, events, queued } = start([{ name: "leases", type: "dnsmasq_leases", path }]);
    const state = await runner.runNow("leases");
    expect(state).toMatchObject({ name: "leases", type: "dnsmasq_leases", status: "ok", devices: 1 });
    expect(state.detail).toMatch(/^2 hosts read, 1 device matched or added, 1 new in \d+ ms$/);
    expect(state.last_ok_at).toBe(state.last_run_at);
    expect(device("3c:07:54:00:00:01")).toMatchObject({ ip_address: "10.0.0.21", hostname: "nas", hostname_source: "dnsmasq_leases" });
    expect(device("3c:07:54:00:00:02")).toBeNull();
    // The quiet first run (no network scan yet): info, like any newcomer; queued inside the transaction, published after.
    const changes = events.filter((e) => e.type === "changes").flatMap((e: any) => e.changes);
    expect(changes.map((c: Change) => [c.change_type, c.severity, c.device_mac, c.scan_id])).toEqual([["device_added", "info", "3c:07:54:00:00:01", null]]);
    expect(queued.flat().map((c) => c.change_type)).toEqual(["device_added"]);
    expect(events.some((e) => e.type === "device" && e.device?.mac_address === "3c:07:54:00:00:01")).toBe(true);
    // Run again: nothing new, no change, no device event (the name is only refreshed); only the run's status.
    events.length = 0;
    expect((await runner.runNow("leases")).detail).toMatch(/^2 hosts read, 1 device matched or added in \d+ ms$/);
    expect(events).toEqual([{ type: "status", source: "sources" }]);
  });

  test("a device a source adds is known, not seen: offline, seen 0 times, no presence, not counted online; a departure cannot touch it", async () => {
    const path = join(dir, "dnsmasq.leases");
    writeFileSync(path, leaseLine("3c:07:54:00:00:21", "10.0.0.21", "nas"));
    const { runner, events } = start([{ name: "router-leases", type: "dnsmasq_leases", path }]);
    await runner.runNow("router-leases");
    const d = device("3c:07:54:00:00:21");
    expect(d).toMatchObject({ status: "offline", times_seen: 0, mac_source: "dnsmasq_leases", hostname: "nas" });
    // When the source first reported it: both ends, nothing has seen it since.
    expect(d.last_seen).toBe(d.first_seen);
    expect(deviceSessions(db, d.id, {}, { limit: 10, offset: 0 })).toEqual({ items: [], total: 0 });
    expect(new InventoryStats(db).stats()).toMatchObject({ total_devices: 1, online_devices: 0 });
    // Announced as documented, naming the source, and not claiming the network saw it.
    const added = events.filter((e) => e.type === "changes").flatMap((e: any) => e.changes as Change[]);
    expect(added.map((c) => c.change_type)).toEqual(["device_added"]);
    expect(added[0].description).toStartWith("New device nas at 10.0.0.21 (3c:07:54:00:00:21)");
    expect(added[0].description).toEndWith(", known to router-leases (dnsmasq_leases), not seen on the network yet");
    // The departure prober's write only takes an online device offline: nothing to record here.
    const departed = db.transaction(() => markDeparted(db, { id: d.id, ip: "10.0.0.21", mac: "3c:07:54:00:00:21", mode: "normal", lastSeen: d.last_seen, probes: 2 }, new Date().toISOString()))();
    expect(departed).toEqual({ changes: [], touched: [] });
    // Runs again change nothing about its presence.
    await runner.runNow("router-leases");
    expect(device("3c:07:54:00:00:21")).toMatchObject({ status: "offline", times_seen: 0 });
    expect(db.query("SELECT count(*) AS n FROM changes").get()).toEqual({ n: 1 });
  });

  test("the first sighting of a device a source added brings it online with one session, without device_returned; once gone, its next return is one", async () => {
    const path = join(dir, "dnsmasq.leases");
    writeFileSync(path, leaseLine("3c:07:54:00:00:22", "10.0.0.22", "printer"));
    const { runner } = start([{ name: "leases", type: "dnsmasq_leases", path }]);
    await runner.runNow("leases");
    const id = device("3c:07:54:00:00:22").id;
    const heard = sight([{ mac: "3c:07:54:00:00:22", ip: "10.0.0.22", source: "arp", iface: "eth0", mac_randomized: false }]);
    expect(heard.changes).toEqual([]);
    const online = device("3c:07:54:00:00:22");
    expect(online).toMatchObject({ id, status: "online", times_seen: 1 });
    expect(deviceSessions(db, id, {}, { limit: 10, offset: 0 })).toEqual({ items: [{ from: online.last_seen, to: null, source: "passive" }], total: 1 });
    expect(new InventoryStats(db).stats()).toMatchObject({ total_devices: 1, online_devices: 1 });
    // The source's next run leaves it as the wire says.
    await runner.runNow("leases");
    expect(device("3c:07:54:00:00:22")).toMatchObject({ status: "online", times_seen: 1 });
    // Seen once, it is an ordinary device: departed, then heard again, it is back online.
    const departed = db.transaction(() => markDeparted(db, { id, ip: "10.0.0.22", mac: "3c:07:54:00:00:22", mode: "normal", lastSeen: online.last_seen, probes: 2 }, new Date().toISOString()))();
    expect(departed.changes.map((c) => c.change_type)).toEqual(["device_removed"]);
    const back = sight([{ mac: "3c:07:54:00:00:22", ip: "10.0.0.22", source: "arp", iface: "eth0", mac_randomized: false }]);
    expect(back.changes.map((c) => c.change_type)).toEqual(["device_returned"]);
  });

  test("a scan that finds a device a source added brings it online, counts it once, says nothing more", async () => {
    const path = join(dir, "dnsmasq.leases");
    writeFileSync(path, leaseLine("3c:07:54:00:00:23", "10.0.0.23", "tv"));
    const { runner } = start([{ name: "leases", type: "dnsmasq_leases", path }]);
    await runner.runNow("leases");
    const now = new Date().toISOString();
    const scanId = Number(db.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at) VALUES ('network', 'quick', '10.0.0.0/24', 'running', ?)").run(now).lastInsertRowid);
    const observed: Observation = {
      ip: "10.0.0.23", mac: "3c:07:54:00:00:23", method: "arp", rtt_ms: 1, mac_randomized: false, vendor: null, hostname: null, hostname_source: null, device_type: null, os_name: null, ports: null,
    };
    const scope: ScanScope = { kind: "network", covers: (ip) => ip.startsWith("10.0.0."), ports: null, portSpec: null, complete: true };
    const r = db.transaction(() => reconcile(db, scanId, [observed], scope, now))();
    expect(r.changes).toEqual([]);
    const d = device("3c:07:54:00:00:23");
    expect(d).toMatchObject({ status: "online", times_seen: 1, last_seen: now, last_scan_id: scanId });
    expect(deviceSessions(db, d.id, {}, { limit: 10, offset: 0 })).toEqual({ items: [{ from: now, to: null, source: "scan" }], total: 1 });
  });

  test("after the first network scan a newcomer from a lease is a warning", async () => {
    completedNetworkScan(db);
    const path = join(dir, "dnsmasq.leases");
    writeFileSync(path, leaseLine("3c:07:54:00:00:05", "10.0.0.25", "tablet"));
    const { runner, events } = start([{ name: "leases", type: "dnsmasq_leases", path }]);
    await runner.runNow("leases");
    expect(events.filter((e) => e.type === "changes").flatMap((e: any) => e.changes.map((c: Change) => c.severity))).toEqual(["warning"]);
  });

  test("ranking: a DHCP name heard on the wire wins over the lease's; the lease's wins over mDNS; the owner's label is untouched; every name is kept with its source", async () => {
    sight([
      { mac: "3c:07:54:00:00:01", ip: "10.0.0.21", source: "dhcp", iface: "eth0", mac_randomized: false, hostname: "wire-name", hostname_source: "dhcp" },
      { mac: "3c:07:54:00:00:02", ip: "10.0.0.22", source: "mdns", iface: "eth0", mac_randomized: false, hostname: "Bonjour-Name", hostname_source: "mdns" },
    ]);
    db.query("UPDATE devices SET label = 'Owner label' WHERE mac_address = '3c:07:54:00:00:02'").run();
    const path = join(dir, "dnsmasq.leases");
    writeFileSync(path, [leaseLine("3c:07:54:00:00:01", "10.0.0.21", "lease-one"), leaseLine("3c:07:54:00:00:02", "10.0.0.22", "lease-two")].join("\n"));
    const { runner } = start([{ name: "leases", type: "dnsmasq_leases", path }]);
    expect((await runner.runNow("leases")).status).toBe("ok");
    const one = device("3c:07:54:00:00:01");
    const two = device("3c:07:54:00:00:02");
    expect(one).toMatchObject({ hostname: "wire-name", hostname_source: "dhcp" });
    expect(two).toMatchObject({ hostname: "lease-two", hostname_source: "dnsmasq_leases", label: "Owner label" });
    expect(names(one.id)).toEqual(["dhcp:wire-name", "dnsmasq_leases:lease-one"]);
    expect(names(two.id)).toEqual(["dnsmasq_leases:lease-two", "mdns:Bonjour-Name"]);
    // A later mDNS name does not take it back; a DHCP name on the wire does.
    sight([{ mac: "3c:07:54:00:00:02", ip: "10.0.0.22", source: "mdns", iface: "eth0", mac_randomized: false, hostname: "Bonjour-Again", hostname_source: "mdns" }]);
    expect(device("3c:07:54:00:00:02").hostname).toBe("lease-two");
    sight([{ mac: "3c:07:54:00:00:02", ip: "10.0.0.22", source: "dhcp", iface: "eth0", mac_randomized: false, hostname: "said-itself", hostname_source: "dhcp" }]);
    expect(device("3c:07:54:00:00:02").hostname).toBe("said-itself");
  });

  test("a scan's reverse-DNS or NetBIOS name does not overwrite a lease name; a lease name overwrites them", async () => {
    sight([{ mac: "3c:07:54:00:00:01", ip: "10.0.0.21", source: "arp", iface: "eth0", mac_randomized: false }]);
    const id = device("3c:07:54:00:00:01").id;
    const write = (hostname: string, hostname_source: string) => db.transaction(() => new InventoryWriter(db, null, new Date().toISOString()).applyIdentity(id, { hostname, hostname_source }))();
    write("ptr-name", "dns");
    const path = join(dir, "dnsmasq.leases");
    writeFileSync(path, leaseLine("3c:07:54:00:00:01", "10.0.0.21", "lease-name"));
    const { runner } = start([{ name: "leases", type: "dnsmasq_leases", path }]);
    await runner.runNow("leases");
    expect(device("3c:07:54:00:00:01")).toMatchObject({ hostname: "lease-name", hostname_source: "dnsmasq_leases" });
    write("WORKGROUP-PC", "netbios");
    write("ptr-again", "dns");
    expect(device("3c:07:54:00:00:01")).toMatchObject({ hostname: "lease-name", hostname_source: "dnsmasq_leases" });
    // Another source of the same rank may (the newer word of the same kind).
    write("pihole-name", "pihole");
    expect(device("3c:07:54:00:00:01")).toMatchObject({ hostname: "pihole-name", hostname_source: "pihole" });
  });

  test("a source never moves, revives or marks a known device online: presence stays with the wire", async () => {
    sight([{ mac: "3c:07:54:00:00:01", ip: "10.0.0.21", source: "arp", iface: "eth0", mac_randomized: false }]);
    db.query("UPDATE devices SET status = 'offline', last_seen = '2026-01-01T00:00:00Z'").run();
    const path = join(dir, "dnsmasq.leases");
    writeFileSync(path, leaseLine("3c:07:54:00:00:01", "10.0.0.99", "moved"));
    const { runner, events } = start([{ name: "leases", type: "dnsmasq_leases", path }]);
    await runner.runNow("leases");
    expect(device("3c:07:54:00:00:01")).toMatchObject({ status: "offline", ip_address: "10.0.0.21", last_seen: "2026-01-01T00:00:00Z", hostname: "moved" });
    expect(events.filter((e) => e.type === "changes")).toEqual([]);
  });

  test("an observation without a MAC only names the device that holds its address; excluded hosts are not read", async () => {
    sight([{ mac: "3c:07:54:00:00:01", ip: "10.0.0.21", source: "arp", iface: "eth0", mac_randomized: false }]);
    const path = join(dir, "dhcpd.leases");
    writeFileSync(
      path,
      [
        // No hardware line: no MAC.
        "lease 10.0.0.21 {\n  binding state active;\n  client-hostname \"by-address\";\n}",
        "lease 10.0.0.30 {\n  binding state active;\n  client-hostname \"nobody-here\";\n}",
        "lease 10.0.0.40 {\n  binding state active;\n  hardware ethernet 3c:07:54:00:00:40;\n  client-hostname \"excluded\";\n}",
      ].join("\n"),
    );
    const { runner } = start([{ name: "dhcpd", type: "isc_leases", path }], { exclude: ["10.0.0.40"] });
    expect((await runner.runNow("dhcpd")).devices).toBe(1);
    expect(device("3c:07:54:00:00:01")).toMatchObject({ hostname: "by-address", hostname_source: "isc_leases" });
    expect(db.query("SELECT count(*) AS n FROM devices").get()).toEqual({ n: 1 });
  });

  test("hostile names from a lease lose invisible and control characters and are cut to 63 characters", async () => {
    const path = join(dir, "dhcpd.leases");
    const long = "x".repeat(200);
    writeFileSync(
      path,
      [
        'lease 10.0.0.51 {\n  binding state active;\n  hardware ethernet 3c:07:54:00:00:51;\n  client-hostname "annas\\342\\200\\256-laptop\\033[31m";\n}',
        `lease 10.0.0.52 {\n  binding state active;\n  hardware ethernet 3c:07:54:00:00:52;\n  client-hostname "${long}";\n}`,
        'lease 10.0.0.53 {\n  binding state active;\n  hardware ethernet 3c:07:54:00:00:53;\n  client-hostname "\\000\\001\\002";\n}',
      ].join("\n"),
    );
    const { runner } = start([{ name: "dhcpd", type: "isc_leases", path }]);
    await runner.runNow("dhcpd");
    // dhcpd's octal bytes are UTF-8: U+202E (right-to-left override) is decoded, then removed with the escape.
    expect(device("3c:07:54:00:00:51").hostname).toBe("annas-laptop[31m");
    expect(device("3c:07:54:00:00:52").hostname).toBe("x".repeat(63));
    expect(device("3c:07:54:00:00:53")).toMatchObject({ hostname: null, hostname_source: null });
  });
});

test("a pool of newcomers: at most 1000 new devices a run, the rest left for the next; past the first ten they are announced in one digest", async () => {
  const path = join(dir, "dnsmasq.leases");
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  writeFileSync(path, Array.from({ length: 1005 }, (_, i) => leaseLine(`3c:07:54:01:${hex(i >> 8)}:${hex(i & 255)}`, `10.1.${i >> 8}.${i & 255}`, `h${i}`)).join("\n"));
  const config = validateConfig({ subnets: ["10.1.0.0/16"], sources: [{ name: "pool", type: "dnsmasq_leases", path }] });
  const queued: { changes: Change[]; digest: boolean }[] = [];
  const r = new SourceRunner({ db, config: () => resolvedView(config), sink: { enqueue: (changes, _scan, opts) => void queued.push({ changes, digest: opts?.floodDigestMs !== undefined }) }, feed: new EventFeed(), types });
  runner = r;
  const first = await r.runNow("pool");
  expect(first.detail).toMatch(/^1005 hosts read, 1000 devices matched or added, 1000 new, 5 new hosts left for the next run \(at most 1000 a run\) in \d+ ms$/);
  const adds = (digest: boolean) => queued.filter((q) => q.digest === digest).flatMap((q) => q.changes).filter((c) => c.change_type === "device_added").length;
  expect(adds(false)).toBeLessThanOrEqual(10);
  expect(adds(false) + adds(true)).toBe(1000);
  const second = await r.runNow("pool");
  expect(second.detail).toMatch(/^1005 hosts read, 1005 devices matched or added, 5 new in \d+ ms$/);
  expect(db.query("SELECT count(*) AS n FROM devices").get()).toEqual({ n: 1005 });
});

describe("runs and their state", () => {
  test("a missing file is failed with its reason; the state keeps the last good run; fixing it makes it ok", async () => {
    const path = join(dir, "dnsmasq.leases");
    writeFileSync(path, leaseLine("3c:07:54:00:00:01", "10.0.0.21", "nas"));
    const { runner } = start([{ name: "leases", type: "dnsmasq_leases", path }]);
    const ok = await runner.runNow("leases");
    rmSync(path);
    const failed = await runner.runNow("leases");
    expect(failed).toMatchObject({ status: "failed", detail: `not_found: ${path} does not exist`, last_ok_at: ok.last_ok_at, devices: 1 });
    writeFileSync(path, "");
    expect(await runner.runNow("leases")).toMatchObject({ status: "ok", devices: 0 });
  });

  test("a malformed file is failed, and nothing it held is applied", async () => {
    const path = join(dir, "dhcpd.leases");
    writeFileSync(path, "<html>oops</html>;\n");
    const { runner } = start([{ name: "dhcpd", type: "isc_leases", path }]);
    const s = await runner.runNow("dhcpd");
    expect(s.status).toBe("failed");
    expect(s.detail).toMatch(/^malformed: not an ISC dhcpd lease file/);
  });

  test("a reader that never answers is given up at the time limit: failed (timeout), and the next source runs", async () => {
    const path = join(dir, "dnsmasq.leases");
    writeFileSync(path, leaseLine("3c:07:54:00:00:01", "10.0.0.21", "nas"));
    const { runner } = start([{ name: "stuck", type: "hanging" }, { name: "leases", type: "dnsmasq_leases", path }], { timeoutMs: 300 });
    const t0 = Date.now();
    const stuck = runner.runNow("stuck");
    await Bun.sleep(20);
    expect(runner.isRunning("stuck")).toBe(true);
    await expect(runner.runNow("stuck")).rejects.toBeInstanceOf(SourceBusyError);
    const after = runner.runNow("leases");
    expect(await stuck).toMatchObject({ status: "failed", detail: "timeout: no answer within 300 ms" });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await after).status).toBe("ok");
  });

  test("disabled sources are shown disabled and cannot be run; unknown names are refused; sources not run yet say so", async () => {
    const path = join(dir, "dnsmasq.leases");
    const { runner } = start([
      { name: "off", type: "dnsmasq_leases", path, enabled: false },
      { name: "new", type: "dnsmasq_leases", path },
    ]);
    expect(runner.list()).toEqual([
      { name: "off", type: "dnsmasq_leases", last_run_at: null, last_ok_at: null, status: "disabled", detail: "Disabled in the configuration", devices: 0 },
      { name: "new", type: "dnsmasq_leases", last_run_at: null, last_ok_at: null, status: "ok", detail: "Not run yet", devices: 0 },
    ]);
    await expect(runner.runNow("off")).rejects.toBeInstanceOf(SourceBusyError);
    await expect(runner.runNow("nope")).rejects.toBeInstanceOf(UnknownSourceError);
  });

  test("the timer runs every enabled source at start and again after its interval, one at a time", async () => {
    const a = join(dir, "a.leases");
    const b = join(dir, "b.leases");
    writeFileSync(a, leaseLine("3c:07:54:00:00:01", "10.0.0.21", "a"));
    writeFileSync(b, leaseLine("3c:07:54:00:00:02", "10.0.0.22", "b"));
    const { runner } = start([
      { name: "a", type: "dnsmasq_leases", path: a, interval_s: 10 },
      { name: "b", type: "dnsmasq_leases", path: b, interval_s: 10 },
      { name: "off", type: "dnsmasq_leases", path: b, enabled: false },
    ]);
    runner.start();
    const deadline = Date.now() + 3000;
    while (runner.list().some((s) => s.status === "ok" && s.last_run_at === null) && Date.now() < deadline) await Bun.sleep(20);
    const first = runner.list();
    expect(first.map((s) => [s.name, s.status, s.last_run_at !== null])).toEqual([
      ["a", "ok", true],
      ["b", "ok", true],
      ["off", "disabled", false],
    ]);
    // Not again before the interval: a second later the runs are the same.
    await Bun.sleep(1200);
    expect(runner.list().map((s) => s.last_run_at)).toEqual(first.map((s) => s.last_run_at));
    expect(device("3c:07:54:00:00:02").hostname).toBe("b");
  });

  test("entries a reader returns that carry nothing usable (no valid MAC or address, not even an object) are counted and skipped", async () => {
    const junk: SourceType = { type: "hanging", fields: Type.Object({}), defaultIntervalS: 60, read: async () => [
      { mac: "zz:zz", ip: "10.0.0.300", hostname: "x" },
      null,
      5,
      { mac: "ff:ff:ff:ff:ff:ff", ip: null, hostname: "broadcast" },
      { mac: "3c:07:54:00:00:09", ip: "10.0.0.9", hostname: "fine" },
    ] as any };
    const config = validateConfig({ subnets: ["10.0.0.0/24"] });
    (config.sources as unknown[]).push({ name: "junk", type: "hanging" });
    const r = new SourceRunner({ db, config: () => resolvedView(config), sink: { enqueue: () => {} }, feed: new EventFeed(), types: () => junk });
    runner = r;
    const s = await r.runNow("junk");
    expect(s.detail).toMatch(/^5 hosts read, 1 device matched or added, 1 new, 4 unusable entries skipped in \d+ ms$/);
    expect(device("3c:07:54:00:00:09").hostname).toBe("fine");
  });

  test("a failure's detail never carries the entry's secrets", async () => {
    const leaky: SourceType = { type: "hanging", fields: Type.Object({}), defaultIntervalS: 60, read: async (c: any) => {
      throw new SourceError("auth", `401 from https://admin:${c.password}@router/api with community ${c.community}`);
    } };
    const config = validateConfig({ subnets: ["10.0.0.0/24"] });
    (config.sources as unknown[]).push({ name: "leaky", type: "hanging", password: "hunter2pw", community: "s3cr3tcomm" });
    const r = new SourceRunner({ db, config: () => resolvedView(config), sink: { enqueue: () => {} }, feed: new EventFeed(), types: () => leaky });
    runner = r;
    const s = await r.runNow("leaky");
    expect(s.status).toBe("failed");
    expect(s.detail).toBe("auth: 401 from https://admin:***@router/api with community ***");
  });
});

test("stopping the appliance during a run ends it at once, recorded as failed (timeout) with that reason", async () => {
  const { runner } = start([{ name: "stuck", type: "hanging" }], { timeoutMs: 60_000 });
  const pending = runner.runNow("stuck");
  await Bun.sleep(20);
  const t0 = Date.now();
  await runner.stop();
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(await pending).toMatchObject({ status: "failed", detail: "timeout: the appliance stopped during the run" });
  await expect(runner.runNow("stuck")).rejects.toBeInstanceOf(SourceBusyError);
});

describe("where a device is attached, its MAC from a source, the subnets a source saw (issue 20)", () => {
  /** A real source type whose reader answers with what `said` holds at the time of the run. */
  let said: unknown[] = [];
  const router: SourceType = { type: "unifi", fields: Type.Object({}), defaultIntervalS: 3600, read: async () => said };
  function startRouter(subnets = ["10.0.0.0/24"]) {
    const config = validateConfig({ subnets });
    (config.sources as unknown[]).push({ name: "ctrl", type: "unifi" });
    const feed = new EventFeed();
    const events: FeedEvent[] = [];
    feed.subscribe((e) => events.push(e));
    const r = new SourceRunner({ db, config: () => resolvedView(config), sink: { enqueue: () => {} }, feed, types: () => router });
    runner = r;
    return { runner: r, events };
  }

  test("attached_to is stored with its source and time, replaced by the next run that says it, never touching the owner's settings; a move is a device event", async () => {
    const { runner, events } = startRouter();
    said = [{ mac: "3c:07:54:00:00:31", ip: "10.0.0.31", hostname: null, attached_to: "AP Living room" }];
    await runner.runNow("ctrl");
    const d = device("3c:07:54:00:00:31");
    expect(d).toMatchObject({ attached_to: "AP Living room", attached_source: "unifi" });
    expect(new DeviceInventory(db).get(d.id)).toMatchObject({ attached_to: "AP Living room", attached_source: "unifi", attached_at: d.attached_at, mac_source: "unifi" });
    db.run("UPDATE devices SET label = 'Anna''s phone', zone = 'Home', notes = 'mine' WHERE id = ?", [d.id]);
    events.length = 0;
    said = [{ mac: "3c:07:54:00:00:31", ip: "10.0.0.31", hostname: null, attached_to: "switch Core port 7" }];
    await runner.runNow("ctrl");
    expect(device("3c:07:54:00:00:31")).toMatchObject({ attached_to: "switch Core port 7", attached_source: "unifi", label: "Anna's phone", zone: "Home", notes: "mine" });
    expect(events.some((e) => e.type === "device" && e.id === d.id)).toBe(true);
    // The same place again: the record did not change (no device event), and the time is written again
    // only once it is older than ten minutes (it says when, to ten minutes).
    const movedAt = device("3c:07:54:00:00:31").attached_at;
    events.length = 0;
    await runner.runNow("ctrl");
    expect(events.filter((e) => e.type === "device")).toEqual([]);
    expect(device("3c:07:54:00:00:31").attached_at).toBe(movedAt);
    db.run("UPDATE devices SET attached_at = '2024-01-16T08:00:00Z' WHERE id = ?", [d.id]);
    await runner.runNow("ctrl");
    expect(Date.parse(device("3c:07:54:00:00:31").attached_at)).toBeGreaterThan(Date.parse("2025-01-01T00:00:00Z"));
    expect(events.filter((e) => e.type === "device")).toEqual([]);
    // Hostile text is cleaned like a name: control characters gone, bounded length.
    said = [{ mac: "3c:07:54:00:00:31", ip: "10.0.0.31", hostname: null, attached_to: `AP \u0007Hall\u202e${"x".repeat(300)}` }];
    await runner.runNow("ctrl");
    const hostile = device("3c:07:54:00:00:31").attached_to as string;
    expect(hostile.startsWith("AP Hall")).toBe(true);
    expect(hostile.length).toBe(100);
  });

  test("a device known by address only (a routed host found by a scan) gets its MAC from the source, and a later IP-only scan result is still that device", async () => {
    const { runner } = startRouter(["10.0.0.0/24", "10.7.0.0/24"]);
    const w = () => new InventoryWriter(db, null, new Date().toISOString());
    // A scan of the routed subnet found it by echo: no MAC.
    db.transaction(() => w().add({ mac: null, ip: "10.7.0.20", mac_randomized: false, hostname: null, hostname_source: null, vendor: null, device_type: null, os_name: null }, null))();
    said = [{ mac: "00:11:32:aa:bb:20", ip: "10.7.0.20", hostname: null, attached_to: "vlan20" }];
    await runner.runNow("ctrl");
    const d = device("00:11:32:aa:bb:20");
    expect(d).toMatchObject({ ip_address: "10.7.0.20", mac_source: "unifi", vendor: "Synology Incorporated", attached_to: "vlan20" });
    expect(db.query("SELECT count(*) AS n FROM devices").get()).toEqual({ n: 1 });
    // Offline since; the next scan of the routed subnet sees the address without a MAC: the same device, MAC kept.
    db.run("UPDATE devices SET status = 'offline' WHERE id = ?", [d.id]);
    const found = w().withoutMac("10.7.0.20");
    expect(found?.id).toBe(d.id);
    expect(found?.mac_address).toBe("00:11:32:aa:bb:20");
  });

  test("subnets a source saw hosts on that are not confirmed are suggested with the source, private ones only, never confirmed; each run ends with a status event", async () => {
    const { runner, events } = startRouter();
    said = [
      { mac: "3c:07:54:00:00:41", ip: "10.0.0.41", hostname: null },
      { mac: "3c:07:54:00:00:42", ip: "192.168.20.7", hostname: null },
      { mac: "3c:07:54:00:00:43", ip: "192.168.20.8", hostname: null },
      { mac: "3c:07:54:00:00:44", ip: "172.16.5.9", hostname: null },
      { mac: "3c:07:54:00:00:45", ip: "203.0.113.1", hostname: null },
      { mac: "3c:07:54:00:00:46", ip: "fd00::46", hostname: null },
    ];
    await runner.runNow("ctrl");
    expect(runner.suggestedSubnets()).toEqual([
      { subnet: "192.168.20.0/24", sources: [{ name: "ctrl", type: "unifi" }] },
      { subnet: "172.16.5.0/24", sources: [{ name: "ctrl", type: "unifi" }] },
    ]);
    // Not confirmed: nothing there became a device.
    expect(device("3c:07:54:00:00:42")).toBeNull();
    expect(events.filter((e) => e.type === "status")).toEqual([{ type: "status", source: "sources" }]);
    // A failed run keeps the last good run's suggestions, and still says so on the feed.
    said = "not a list" as unknown as unknown[];
    events.length = 0;
    expect((await runner.runNow("ctrl")).status).toBe("failed");
    expect(runner.suggestedSubnets().map((s) => s.subnet)).toEqual(["192.168.20.0/24", "172.16.5.0/24"]);
    expect(events).toEqual([{ type: "status", source: "sources" }]);
  });
});
