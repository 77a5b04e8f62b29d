// IPv6, actively, on the namespace test network with IPv6 turned on in the scanner's and two hosts'
// namespaces (the test network turns it off elsewhere): a scan through the API also sends an
// ICMPv6 echo to all nodes from each of the appliance's own prefixes and a neighbour solicitation
// for each IPv6 address on record. The passive watch is off, so every IPv6 address here was learnt
// from an answer to the sweep. Checks the link-local and ULA addresses reach the right devices (the
// MAC that answered, never another), a privacy address rotating (first and last seen), and the
// addresses in the device list, the CSV and JSON exports and the Home Assistant attributes
// (a real Mosquitto in the scanner namespace).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { JsonLines } from "../helpers/json-lines.ts";
import { mustRun } from "../helpers/lan.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireTools, tool } from "../helpers/require.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { addressRow, consoleErrors, overflow, signedIn } from "../helpers/ui.ts";

const root = requireRoot("sweeps IPv6 on the namespace test network");
const mosquitto = root && requireTools([["mosquitto", "mosquitto"]]) ? tool("mosquitto") : null;
const missing = browserMissing();
const WATCH = resolve(import.meta.dir, "../notify/fixtures/mqtt-watch.ts");

type Msg = { topic: string; payload: string; retain: boolean };

// A privacy address and its successor (RFC 8981: random interface identifiers). The successor
// shares a longer prefix with the appliance's fd00:51::1, and the old one is deprecated before the
// second sweep, so the hosts' kernels answer the echo from the new one: the old one can then only be
// refreshed by the neighbour solicitation for it.
const OLD_PRIVACY = "fd00:51::5c1e:a7f3:2b90:d41c";
const NEW_PRIVACY = "fd00:51::1e4:77c2:9a10:3b5d";

describe.skipIf(!root || !mosquitto || missing !== null)("IPv6, actively: a sweep's all-nodes echo and neighbour solicitations", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let session: Client;
  let browser: Browser | undefined;
  let dir: string;
  let broker: ReturnType<typeof Bun.spawn>;
  let watch: JsonLines<Msg>;
  const sh = (ns: string, cmd: string[]) => mustRun(net, ns, cmd);
  const hosts = () => net.truth.hosts.filter((h) => h.behaviour === "normal");

  /**
   * IPv6 on in a namespace's eth0, with no automatic (EUI-64) link-local address, only the given
   * ones (no duplicate address detection: the test network is ours).
   */
  const enable6 = async (ns: string, addresses: string[]) => {
    await sh(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.eth0.addr_gen_mode=1"]);
    await sh(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.eth0.disable_ipv6=0"]);
    for (const a of addresses) await sh(ns, ["ip", "-6", "addr", "add", `${a}/64`, "dev", "eth0", "nodad"]);
  };
  const scan = async () => {
    const res = await api.request("POST", "/api/scan/trigger?profile=quick");
    expect(res.status).toBe(202);
    const done = await waitForScan(api, res.body.scan_id);
    expect(done.status).toBe("completed");
    return done;
  };
  const devices = async () => {
    const res = await api.get("/api/devices?limit=100");
    expect(res.status).toBe(200);
    return res.body as any[];
  };
  const byMac = async (mac: string) => (await devices()).find((d) => d.mac_address === mac);
  const v6 = (d: any) => Object.fromEntries((d.addresses as any[]).filter((a) => a.family === 6).map((a) => [a.address, a]));

  beforeAll(async () => {
    net = await startTestnet({ hosts: 3 });
    dir = mkdtempSync(join(tmpdir(), "argus-ipv6-sweep-"));
    writeFileSync(join(dir, "mosquitto.conf"), "listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\n");
    broker = net.spawn([mosquitto!, "-c", join(dir, "mosquitto.conf")], { stdout: "ignore", stderr: "ignore" });
    watch = new JsonLines<Msg>(net.spawn([process.execPath, WATCH], { stdout: "pipe", stderr: "inherit" }));
    await watch.until("the watcher's subscription", (m) => m.some((x: any) => x.subscribed));
    const [a, b] = hosts();
    // The appliance speaks from a link-local and a ULA address; a and b have one of each, c none (IPv6 off).
    await enable6(net.truth.scanner_ns, ["fe80::1", "fd00:51::1"]);
    await enable6(a.ns, ["fe80::a", OLD_PRIVACY]);
    await enable6(b.ns, ["fe80::b", "fd00:51::b"]);
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        subnets: [net.truth.lan_subnet],
        schedule: [],
        // Off, so that no address below can have come from the passive listener.
        passive: false,
        notifications: {
          channels: [{ name: "ha", type: "mqtt", url: "mqtt://127.0.0.1:1883", discovery_prefix: "homeassistant", topic_prefix: "argus" }],
          allow_loopback_destinations: true,
        },
      }),
    );
    server = await startNetServer(net, { ARGUS_CONFIG: join(dir, "config.json") });
    const admin = await adminWithKey(server);
    session = admin.session;
    api = server.client({ "X-API-Key": admin.key });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    watch?.stop();
    broker?.kill("SIGTERM");
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let firstSweepAt = "";

  test("a sweep links each host's link-local and ULA address to its own device, learnt from its answers", async () => {
    const [a, b, c] = hosts();
    const done = await scan();
    firstSweepAt = done.finished_at;
    const da = await byMac(a.mac!);
    const db = await byMac(b.mac!);
    const dc = await byMac(c.mac!);
    expect(Object.keys(v6(da)).sort()).toEqual([OLD_PRIVACY, "fe80::a"].sort());
    expect(v6(da)["fe80::a"]).toMatchObject({ family: 6, scope: "link", mac: a.mac, source: "sweep" });
    expect(v6(da)[OLD_PRIVACY]).toMatchObject({ family: 6, scope: "ula", mac: a.mac, source: "sweep" });
    expect(Object.keys(v6(db)).sort()).toEqual(["fd00:51::b", "fe80::b"]);
    expect(v6(db)["fd00:51::b"]).toMatchObject({ family: 6, scope: "ula", mac: b.mac, source: "sweep" });
    expect(v6(db)["fe80::b"]).toMatchObject({ family: 6, scope: "link", mac: b.mac, source: "sweep" });
    // c has IPv6 off: its IPv4 address only. The appliance's own addresses belong to no device.
    expect(v6(dc)).toEqual({});
    expect(dc.addresses).toEqual([expect.objectContaining({ address: c.ip, family: 4, scope: "private", mac: c.mac })]);
    const all = (await devices()).flatMap((d) => Object.keys(v6(d)));
    expect(all).not.toContain("fe80::1");
    expect(all).not.toContain("fd00:51::1");
  }, 90_000);

  test("a privacy address rotating: the new one joins with its own first seen, the old one answers its solicitation until it is gone", async () => {
    const [a] = hosts();
    // The successor arrives and the old address is deprecated (still assigned, still answering NDP).
    await sh(a.ns, ["ip", "-6", "addr", "add", `${NEW_PRIVACY}/64`, "dev", "eth0", "nodad"]);
    await sh(a.ns, ["ip", "-6", "addr", "change", `${OLD_PRIVACY}/64`, "dev", "eth0", "preferred_lft", "0"]);
    await Bun.sleep(1100); // timestamps have second resolution
    const second = await scan();
    let addr = v6(await byMac(a.mac!));
    expect(addr[NEW_PRIVACY]).toMatchObject({ scope: "ula", mac: a.mac, source: "sweep" });
    expect(addr[NEW_PRIVACY].first_seen > firstSweepAt).toBe(true);
    // The old one was not the echo's answer (the new one was): only its neighbour solicitation refreshed it.
    expect(addr[OLD_PRIVACY].first_seen <= firstSweepAt).toBe(true);
    expect(addr[OLD_PRIVACY].last_seen > firstSweepAt).toBe(true);
    const oldSeen = addr[OLD_PRIVACY].last_seen;
    const newFirst = addr[NEW_PRIVACY].first_seen;
    expect(newFirst <= second.finished_at).toBe(true);

    // The old address is dropped: the next sweep hears nothing for it, and it keeps its last seen.
    await sh(a.ns, ["ip", "-6", "addr", "del", `${OLD_PRIVACY}/64`, "dev", "eth0"]);
    await Bun.sleep(1100);
    await scan();
    addr = v6(await byMac(a.mac!));
    expect(addr[OLD_PRIVACY].last_seen).toBe(oldSeen);
    expect(addr[NEW_PRIVACY].last_seen > oldSeen).toBe(true);
    expect(addr[NEW_PRIVACY].first_seen).toBe(newFirst);
    // Newest first in the device's list.
    const order = ((await byMac(a.mac!)).addresses as any[]).map((x) => x.last_seen);
    expect(order).toEqual([...order].sort().reverse());
  }, 90_000);

  test("the addresses are in the CSV and JSON exports and in the Home Assistant attributes", async () => {
    const [a, b] = hosts();
    const da = await byMac(a.mac!);
    const db = await byMac(b.mac!);

    const json = await api.get("/api/export/devices.json");
    expect(json.status).toBe(200);
    const exported = (json.body as any[]).find((d) => d.mac_address === b.mac);
    expect(exported.addresses).toEqual(db.addresses);

    const csv = await api.get("/api/export/devices.csv");
    expect(csv.status).toBe(200);
    const lines = csv.text.trim().split("\r\n");
    const header = lines[0].split(",");
    const col = header.indexOf("addresses");
    expect(col).toBeGreaterThan(-1);
    const row = lines.find((l) => l.includes(b.mac!))!;
    // One cell of space-separated addresses, newest first (the cell has no comma to quote).
    expect(row.split(",")[col]).toBe(db.addresses.map((x: any) => x.address).join(" "));
    expect(row.split(",")[col].split(" ").sort()).toEqual([b.ip, "fd00:51::b", "fe80::b"].sort());

    // Home Assistant: the retained attributes of each entity list its addresses (IPv4 first, then by text).
    const attributesOf = (id: number) => {
      const msgs = watch.items.filter((m) => m.topic === `argus/device/${id}/attributes` && m.payload);
      return msgs.length > 0 ? JSON.parse(msgs[msgs.length - 1].payload) : null;
    };
    await watch.until("a's attributes with its new privacy address", () => attributesOf(da.id)?.addresses?.some((x: any) => x.address === NEW_PRIVACY));
    await watch.until("b's attributes with its IPv6 addresses", () => attributesOf(db.id)?.addresses?.length === 3);
    expect(attributesOf(db.id).addresses).toEqual([
      { address: b.ip, family: 4, scope: "private", mac: b.mac },
      { address: "fd00:51::b", family: 6, scope: "ula", mac: b.mac },
      { address: "fe80::b", family: 6, scope: "link", mac: b.mac },
    ]);
    expect(attributesOf(da.id).addresses.map((x: any) => x.address)).toEqual([a.ip, NEW_PRIVACY, OLD_PRIVACY, "fe80::a"]);
  }, 60_000);

  test("the device page lists the swept addresses with how they were learnt (Chromium, 360 px)", async () => {
    const [, b] = hosts();
    const db = await byMac(b.mac!);
    browser = await launchBrowserIn(server.ns);
    const context = await signedIn(browser, session, server.inside, { viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${server.inside}/devices/${db.id}`);
    expect(await addressRow(page, "fd00:51::b")).toContain("IPv6, unique local (answered a scan's IPv6 probe)");
    expect(await addressRow(page, "fe80::b")).toContain("IPv6, link-local (answered a scan's IPv6 probe)");
    expect(await addressRow(page, b.ip)).toContain("IPv4, private");
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
  }, 60_000);
});
