// Departures without a scan (issue 18, SPEC §7 "Presence"), on the namespace test network with the
// real appliance inside it and no scan at all: hosts announce themselves once (a gratuitous ARP the
// passive watch hears) and then stay silent. A silent host that still answers its unicast ARP probes
// stays online; a host whose link goes down gets a `device_removed` (warning for always_on, measured
// against its < 30 s promise with the default graces); excluded hosts, by address or MAC, never get
// a frame (tcpdump on their wire); and the probe budget holds however short the graces are set.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gratuitousArp } from "../helpers/frames.ts";
import { captureArpFrom, mustRun, sendFrames } from "../helpers/lan.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireTools } from "../helpers/require.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet, type TruthHost } from "../helpers/testnet.ts";

const runnable = requireRoot("runs the appliance and its probes in network namespaces") && requireTools([["tcpdump", "tcpdump"], ["python3", "python3"]]);

const DEFAULTS = { enabled: true, always_on_grace_s: 20, normal_grace_s: 90, can_sleep_grace_s: 600, frames_per_device_per_minute: 1 };

describe.skipIf(!runnable)("departure probes (namespaces, no scan)", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let hosts: TruthHost[];
  const ids = new Map<string, number>();

  const setDepartures = async (d: Partial<typeof DEFAULTS>) => {
    const res = await api.request("PUT", "/api/config", { json: { departures: { ...DEFAULTS, ...d } } });
    expect(res.status).toBe(200);
  };
  const device = async (h: TruthHost) => (await api.get(`/api/devices/${ids.get(h.mac!)}`)).body;
  const removals = async (h: TruthHost) => ((await api.get("/api/changes?change_type=device_removed&limit=1000")).body as any[]).filter((c) => c.device_mac === h.mac);
  const linkDown = (h: TruthHost) => mustRun(net, h.ns, ["ip", "link", "set", "eth0", "down"]);
  const until = async (what: string, ok: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await ok()) return;
      await Bun.sleep(100);
    }
    throw new Error(`${what} did not happen within ${timeoutMs} ms`);
  };

  beforeAll(async () => {
    net = await startTestnet({ hosts: 6 });
    hosts = net.hostsWith("normal").filter((h) => !h.role);
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    ({ session: api } = await adminWithKey(server));
    // Nobody is probed while the hosts are announced: the graces start from their one frame.
    await setDepartures({ enabled: false });
    for (const h of hosts) await sendFrames(net, h.ns, [gratuitousArp(h.mac!, h.ip)]);
    await until("every host recorded", async () => ((await api.get("/api/devices")).body as any[]).length === hosts.length, 15_000);
    for (const d of (await api.get("/api/devices")).body as any[]) ids.set(d.mac_address, d.id);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await net?.down();
  }, 60_000);

  test("a silent host that answers its ARP probes stays online, each answer counting as seen", async () => {
    const h = hosts[0];
    const capture = await captureArpFrom(h.ns, net.truth.scanner_mac);
    const before = (await device(h)).last_seen;
    await setDepartures({ normal_grace_s: 2, frames_per_device_per_minute: 30 });
    await Bun.sleep(12_000);
    const { unicast, requests } = await capture.stop();
    // Probed again and again (every ~2 s of silence), only ever with frames for its own MAC.
    expect(unicast).toBeGreaterThanOrEqual(3);
    expect(requests).toBe(unicast);
    const d = await device(h);
    expect(d.status).toBe("online");
    expect(Date.parse(d.last_seen)).toBeGreaterThan(Date.parse(before));
    expect(await removals(h)).toEqual([]);
  }, 60_000);

  test("a host that leaves (its link down) gets device_removed (info, normal mode) with no scan, and goes offline", async () => {
    const h = hosts[1];
    expect((await device(h)).presence_mode).toBe("normal");
    await linkDown(h);
    const left = Date.now();
    await until("device_removed", async () => (await removals(h)).length > 0, 30_000);
    const took = Date.now() - left;
    const [change] = await removals(h);
    expect(change).toMatchObject({ change_type: "device_removed", severity: "info", scan_id: null, device_ip: h.ip, device_id: ids.get(h.mac!) });
    expect((await device(h)).status).toBe("offline");
    // Grace 2 s, then two probes: a generous bound only (the benchmark measures the timing).
    expect(took).toBeLessThan(20_000);
    expect((await api.get("/api/scans")).body).toEqual([]);
    // The other silent hosts still answer: none of them was taken for gone.
    for (const other of [hosts[0], ...hosts.slice(2)]) expect(await removals(other)).toEqual([]);
  }, 60_000);

  test("back a moment later, its first frame makes it device_returned (the watch does not take it for old news)", async () => {
    const h = hosts[1];
    await mustRun(net, h.ns, ["ip", "link", "set", "eth0", "up"]);
    await Bun.sleep(500);
    // A gratuitous ARP reply this time: the listener drops a frame identical to one of the last 20 s
    // (the announcement in beforeAll may be that recent when this test runs alone), which is not what
    // this test is about.
    await sendFrames(net, h.ns, [gratuitousArp(h.mac!, h.ip, 2)]);
    const returned = async () => ((await api.get("/api/changes?change_type=device_returned")).body as any[]).filter((c) => c.device_mac === h.mac);
    await until("device_returned", async () => (await returned()).length === 1, 5000);
    expect((await device(h)).status).toBe("online");
    // It stays: it answers its probes again.
    await Bun.sleep(6000);
    expect((await device(h)).status).toBe("online");
    expect(await removals(h)).toHaveLength(1);
    // Away again for the tests below.
    await linkDown(h);
    await until("second device_removed", async () => (await removals(h)).length === 2, 30_000);
  }, 60_000);

  test("excluded devices (by address and by MAC) are never probed; the others are", async () => {
    const [control, byIp, byMac] = [hosts[0], hosts[2], hosts[3]];
    const res = await api.request("PUT", "/api/config", { json: { exclude: [byIp.ip, byMac.mac] } });
    expect(res.status).toBe(200);
    const captures = await Promise.all([control, byIp, byMac].map((h) => captureArpFrom(h.ns, net.truth.scanner_mac)));
    await Bun.sleep(10_000);
    const [c, i, m] = await Promise.all(captures.map((x) => x.stop()));
    expect(c.unicast).toBeGreaterThanOrEqual(2);
    expect({ byIp: i.requests, byMac: m.requests }).toEqual({ byIp: 0, byMac: 0 });
    // Not probed is not gone: nothing is said about them.
    expect(await removals(byIp)).toEqual([]);
    expect(await removals(byMac)).toEqual([]);
  }, 60_000);

  test("the budget holds: at most 1 frame per device per minute on average (one minute's burst), however short the grace", async () => {
    // Online and not excluded: hosts[0], hosts[4], hosts[5]. A 1 s grace would probe each about every 2.5 s.
    const watched = [hosts[0], hosts[4], hosts[5]];
    const captures = await Promise.all(watched.map((h) => captureArpFrom(h.ns, net.truth.scanner_mac)));
    const start = Date.now();
    await setDepartures({ normal_grace_s: 1, frames_per_device_per_minute: 1 });
    await Bun.sleep(30_000);
    const counts = (await Promise.all(captures.map((x) => x.stop()))).map((r) => r.unicast);
    const minutes = (Date.now() - start) / 60_000;
    const total = counts.reduce((a, b) => a + b, 0);
    // The bucket: one minute's worth (and one departure's pair of probes) at the start, then N × 1 a minute.
    expect(total).toBeLessThanOrEqual(Math.floor(watched.length * (1 + minutes)) + 2);
    expect(total).toBeGreaterThanOrEqual(watched.length);
    for (const h of watched) expect((await device(h)).status).toBe("online");
  }, 60_000);

  test("always_on (default graces): a host that leaves is removed within 30 s, as a warning", async () => {
    const h = hosts[4];
    await setDepartures({});
    const res = await api.request("PUT", `/api/devices/${ids.get(h.mac!)}`, { json: { presence_mode: "always_on" } });
    expect(res.status).toBe(200);
    // Silent, it is probed after 20 s and answers; it leaves a few seconds later, at a point of the cycle of no choosing.
    await Bun.sleep(22_000 + Math.random() * 8000);
    expect(await removals(h)).toEqual([]);
    await linkDown(h);
    const left = Date.now();
    await until("device_removed", async () => (await removals(h)).length > 0, 45_000);
    const took = Date.now() - left;
    console.log(`always_on departure noticed ${(took / 1000).toFixed(1)} s after the link went down`);
    expect((await removals(h))[0]).toMatchObject({ severity: "warning", scan_id: null, device_ip: h.ip });
    expect(took).toBeLessThan(30_000);
    expect((await device(h)).status).toBe("offline");
    expect((await api.get("/api/scans")).body).toEqual([]);
  }, 90_000);

  test("probing stops when the configuration turns it off, and at shutdown", async () => {
    const h = hosts[0];
    await setDepartures({ enabled: false, normal_grace_s: 1, frames_per_device_per_minute: 30 });
    await Bun.sleep(1000); // a tick in flight may still send
    let capture = await captureArpFrom(h.ns, net.truth.scanner_mac);
    await Bun.sleep(5000);
    expect((await capture.stop()).requests).toBe(0);

    // Turned on again (the control): probed within seconds.
    capture = await captureArpFrom(h.ns, net.truth.scanner_mac);
    await setDepartures({ normal_grace_s: 1, frames_per_device_per_minute: 30 });
    await Bun.sleep(5000);
    expect((await capture.stop()).unicast).toBeGreaterThanOrEqual(1);

    // After a clean stop (SIGTERM, exit 0) nothing more leaves for the host.
    expect(await server.kill("SIGTERM")).toBe(0);
    capture = await captureArpFrom(h.ns, net.truth.scanner_mac);
    await Bun.sleep(5000);
    expect((await capture.stop()).requests).toBe(0);
  }, 60_000);
});
