// Passive watch on the namespace test network, with real parts: the appliance listens in the
// scanner namespace while a dnsmasq DHCP server (Debian dnsmasq-base) and joining hosts running
// busybox udhcpc, an mDNS responder and raw-frame senders act on the LAN. Nothing here starts a
// scan unless the test says so (the returning device is taken offline by two real scans).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ADMIN, adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { dhcpFrame, gratuitousArp, mdnsResponse, rr } from "../helpers/frames.ts";
import { passiveCorpus } from "./corpus.ts";
import { requireTools } from "../helpers/require.ts";
import { dnsmasqServer, mustRun, sendFrames, udhcpcJoin, udhcpcScript } from "../helpers/lan.ts";

const RESPONDER = resolve(import.meta.dir, "mdns-responder.py");

/** Tools the test needs besides root; says why it skips (a failure under CI=true). */
const runnable = requireRoot("passive watch on the namespace test network") &&
  requireTools([
    ["dnsmasq", "dnsmasq-base"],
    ["busybox", "busybox"],
    ["python3", "python3"],
  ]);

describe.skipIf(!runnable)("passive watch", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let dir: string;
  let script: string;
  let dnsmasq: ReturnType<typeof Bun.spawn> | null = null;
  const spawned: ReturnType<typeof Bun.spawn>[] = [];
  // LAN hosts: h1 serves DHCP, h2 joins, h3 only speaks mDNS, h4 only sends raw frames, h5 comes and goes.
  const host = (n: number) => net.truth.hosts.filter((h) => h.behaviour === "normal")[n - 1];

  const sh = (ns: string, cmd: string[], stdin?: string) => mustRun(net, ns, cmd, stdin);
  const send = (ns: string, frames: Uint8Array[], rate = 1000) => sendFrames(net, ns, frames, rate);

  /** The changes of one type (newest first), optionally for one MAC. */
  const changes = async (type: string, mac?: string) => {
    const res = await api.get(`/api/changes?change_type=${type}&limit=1000`);
    expect(res.status).toBe(200);
    return (res.body as any[]).filter((c) => !mac || c.device_mac === mac);
  };
  const waitFor = async <T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 5000): Promise<{ value: T; ms: number }> => {
    const t0 = Date.now();
    for (;;) {
      const v = await f();
      if (v) return { value: v, ms: Date.now() - t0 };
      if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await Bun.sleep(100);
    }
  };
  /** Gratuitous ARP from `n` random unicast MACs, for addresses in the LAN: a flood. */
  const floodFrames = (n: number) => {
    const rnd = (k: number) => Math.floor(Math.random() * k);
    return Array.from({ length: n }, () => {
      const b = [rnd(256) & 0xfe, rnd(256), rnd(256), rnd(256), rnd(256), rnd(256)];
      return gratuitousArp(b.map((x) => x.toString(16).padStart(2, "0")).join(":"), `10.231.0.${20 + rnd(70)}`);
    });
  };
  const device = async (mac: string) => {
    const list = await api.get(`/api/devices?q=${mac}&limit=10`);
    return (list.body as any[]).find((d) => d.mac_address === mac) ?? null;
  };

  /** Joins the LAN from h2 with busybox udhcpc, as MAC `mac`, announcing `hostname`. */
  const dhcpJoin = async (mac: string, hostname: string) => {
    const ns = host(2).ns;
    await sh(ns, ["ip", "addr", "flush", "dev", "eth0"]);
    await sh(ns, ["ip", "link", "set", "eth0", "address", mac]);
    const started = Date.now();
    await sh(ns, udhcpcJoin(script, hostname));
    return started;
  };

  beforeAll(async () => {
    net = await startTestnet({ hosts: 5 });
    dir = mkdtempSync(join(tmpdir(), "argus-passive-"));
    // udhcpc's event script: put the leased address on the interface, like a real client.
    script = udhcpcScript(dir);
    // h2 starts without an address: it will ask DHCP for one.
    await sh(host(2).ns, ["ip", "addr", "flush", "dev", "eth0"]);
    dnsmasq = dnsmasqServer(host(1).ns, "10.231.0.100,10.231.0.199");
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    ({ key: apiKey, session } = await adminWithKey(server));
    api = server.client({ "X-API-Key": apiKey });
  }, 120_000);
  let apiKey = "";
  let session: Client;

  afterAll(async () => {
    dnsmasq?.kill("SIGKILL");
    for (const p of spawned) p.kill("SIGKILL");
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a host joining with DHCP shows up as device_added with its DHCP hostname within 5 s, with no scan", async () => {
    const mac = "3c:07:54:00:00:21";
    const started = await dhcpJoin(mac, "annas-laptop");
    const { value: added, ms } = await waitFor("device_added", async () => (await changes("device_added", mac))[0], 5000);
    expect(Date.now() - started).toBeLessThan(5000 + ms);
    expect(added.scan_id).toBeNull();
    // No network scan has completed on this appliance yet: the quiet first run makes it info
    // (src/inventory/first-run.ts; a newcomer after the first scan is a warning, test/inventory/first-run.test.ts).
    expect(added.severity).toBe("info");
    expect(added.device_ip).toMatch(/^10\.231\.0\.1\d\d$/);
    const d = await device(mac);
    expect(d.hostname).toBe("annas-laptop");
    expect(d.hostname_source).toBe("dhcp");
    // busybox udhcpc announces "udhcp 1.35.0" (option 60): an embedded Linux client.
    expect(d.os_name).toBe("Linux (embedded)");
    expect(d.device_type_source).toBe("dhcp-fingerprint");
    expect((await api.get("/api/scans")).body).toEqual([]);
  }, 30_000);

  test("a host that only sends a gratuitous ARP is seen, also on the live event stream", async () => {
    const h = host(4);
    const stream = await fetch("http://argus/api/scan/events", { unix: server.socket, headers: { "X-API-Key": apiKey } } as RequestInit);
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await send(h.ns, [gratuitousArp(h.mac!, h.ip)]);
    const { value } = await waitFor("device_added", async () => (await changes("device_added", h.mac!))[0]);
    expect(value).toMatchObject({ device_ip: h.ip, scan_id: null });
    // The same change, pushed to live clients as an SSE "changes" event.
    let text = "";
    const deadline = Date.now() + 5000;
    while (!text.includes("event: changes") && Date.now() < deadline) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    await reader.cancel();
    const event = text.split("\n\n").find((e) => e.startsWith("event: changes"));
    expect(event).toBeDefined();
    const data = JSON.parse(event!.split("\n")[1].slice("data: ".length));
    expect(data).toMatchObject({ type: "changes", scan_id: null });
    expect(data.changes.map((c: any) => [c.change_type, c.device_mac])).toContainEqual(["device_added", h.mac]);
  }, 30_000);

  test("a host that only speaks mDNS is seen and typed by its announced services", async () => {
    const h = host(3);
    const proc = Bun.spawn(["ip", "netns", "exec", h.ns, "python3", RESPONDER, "--ip", h.ip, "--name", "officejet", "--service", "_ipp._tcp", "--service", "_uscan._tcp", "--duration", "5"], {
      stdout: "ignore",
      stderr: "inherit",
    });
    spawned.push(proc);
    const { value } = await waitFor("device_added", async () => (await changes("device_added", h.mac!))[0]);
    expect(value.scan_id).toBeNull();
    const d = await waitFor("typed", async () => {
      const x = await device(h.mac!);
      return x?.device_type === "printer" ? x : null;
    });
    expect(d.value).toMatchObject({ ip_address: h.ip, hostname: "officejet", hostname_source: "mdns", device_type: "printer", device_type_source: "mdns-service" });
  }, 30_000);

  test("an mDNS _device-info model names the device type", async () => {
    const h = host(3);
    await send(h.ns, [mdnsResponse(h.mac!, h.ip, [rr.a("officejet.local", h.ip), rr.txt("officejet._device-info._tcp.local", ["model=MacBookPro18,3"])])]);
    const d = await waitFor("model", async () => {
      const x = await device(h.mac!);
      return x?.model === "MacBookPro18,3" ? x : null;
    });
    expect(d.value).toMatchObject({ device_type: "computer", device_type_source: "mdns-model", os_name: "macOS" });
  }, 30_000);

  test("a randomised MAC with a known DHCP hostname is the known device: mac_rotated, no stranger alert", async () => {
    const first = "02:5a:00:00:00:01";
    await dhcpJoin(first, "pixel-of-bob");
    await waitFor("first join", async () => (await changes("device_added", first))[0]);
    const before = (await changes("device_added")).length;
    // The next day: a new process (nothing heard from the old MAC since), the phone back with a new private MAC.
    await server.kill("SIGTERM");
    await server.restart();
    const second = "06:5a:00:00:00:02";
    await dhcpJoin(second, "pixel-of-bob");
    const { value: rotated } = await waitFor("mac_rotated", async () => (await changes("mac_rotated", second))[0]);
    expect(rotated).toMatchObject({ scan_id: null, severity: "info", old_value: first, new_value: second });
    await Bun.sleep(500);
    expect(await changes("device_added", second)).toEqual([]);
    // No stranger: nothing was added for the phone (other LAN chatter, e.g. the DHCP server's ARP, may be).
    const added = await changes("device_added");
    expect(added.slice(0, added.length - before).filter((c) => c.device_mac === second || c.device_ip === rotated.device_ip)).toEqual([]);
    const named = (await api.get("/api/devices?q=pixel-of-bob")).body as any[];
    expect(named.map((d) => d.mac_address)).toEqual([second]);
    expect(await device(first)).toBeNull();
    expect((await device(second)).hostname).toBe("pixel-of-bob");
  }, 60_000);

  test("a known device that went offline (two scans) and speaks again is device_returned", async () => {
    const h = host(5);
    const scan = async () => {
      const t = await api.post("/api/scan/trigger?profile=quick");
      expect(t.status).toBe(202);
      return waitForScan(api, t.body.scan_id);
    };
    await scan();
    expect((await device(h.mac!)).status).toBe("online");
    await sh(h.ns, ["ip", "link", "set", "eth0", "down"]);
    await scan();
    await scan();
    expect((await device(h.mac!)).status).toBe("offline");
    await sh(h.ns, ["ip", "link", "set", "eth0", "up"]);
    await send(h.ns, [gratuitousArp(h.mac!, h.ip)]);
    const { value } = await waitFor("device_returned", async () => (await changes("device_returned", h.mac!)).find((c) => c.scan_id === null));
    expect(value.device_ip).toBe(h.ip);
    expect((await device(h.mac!)).status).toBe("online");
  }, 90_000);

  test("the listener follows its interface through a flap", async () => {
    await net.exec(["ip", "link", "set", "eth0", "down"]);
    await Bun.sleep(300);
    await net.exec(["ip", "link", "set", "eth0", "up"]);
    await Bun.sleep(1500); // the bridge port forwards again
    const h = host(4);
    await send(h.ns, [gratuitousArp("00:1d:0f:00:00:44", "10.231.0.77")]);
    await waitFor("after the flap", async () => (await changes("device_added", "00:1d:0f:00:00:44"))[0]);
  }, 30_000);

  test("the listener follows its interface when it is deleted and created again (a new ifindex)", async () => {
    const br = `${net.prefix}-br`;
    const scanNs = net.truth.scanner_ns;
    const port = `${net.prefix}-s`;
    const before = (await sh(scanNs, ["cat", "/sys/class/net/eth0/ifindex"])).trim();
    await sh(br, ["ip", "link", "del", port]);
    await sh(br, ["ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "address", net.truth.scanner_mac, "netns", scanNs]);
    await sh(br, ["ip", "link", "set", port, "master", `${net.prefix}-lan`, "up"]);
    await sh(scanNs, ["ip", "addr", "add", `${net.truth.scanner_ip}/24`, "dev", "eth0"]);
    await sh(scanNs, ["ip", "link", "set", "eth0", "up"]);
    expect((await sh(scanNs, ["cat", "/sys/class/net/eth0/ifindex"])).trim()).not.toBe(before);
    // The appliance re-reads its interfaces every 5 s; frames sent until then may be missed.
    await Bun.sleep(6000);
    await send(host(4).ns, [gratuitousArp("00:1d:0f:00:00:46", "10.231.0.79")]);
    await waitFor("after re-creation", async () => (await changes("device_added", "00:1d:0f:00:00:46"))[0]);
    expect((await api.get("/api/passive")).body.interfaces).toEqual(["eth0"]);
  }, 30_000);

  test("malformed DHCP and mDNS frames crash nothing; the listener goes on", async () => {
    const hostile = passiveCorpus().slice(3).map((c) => c.frame);
    const truncated = passiveCorpus().slice(0, 2).flatMap((c) => Array.from({ length: 40 }, (_, i) => c.frame.subarray(0, Math.max(14, c.frame.length - 1 - i * 7))));
    const r = await send(host(4).ns, [...hostile, ...truncated]);
    expect(r.sent).toBe(hostile.length + truncated.length);
    expect((await api.get("/health")).status).toBe(200);
    await send(host(4).ns, [dhcpFrame("00:1d:0f:00:00:45", { type: 3, requested: "10.231.0.78", hostname: "after-the-storm" })]);
    const { value } = await waitFor("after malformed frames", async () => (await changes("device_added", "00:1d:0f:00:00:45"))[0]);
    expect(value.device_ip).toBe("10.231.0.78");
  }, 30_000);

  test("a flood of 5,000 random MACs is capped with one warning, and the server stays responsive", async () => {
    // h4, whose device must survive the flood, is known before it (it sends the flood's frames).
    await send(host(4).ns, [gratuitousArp(host(4).mac!, host(4).ip)]);
    await waitFor("h4 known", () => device(host(4).mac!));
    const devicesBefore = Number((await api.get("/api/devices?limit=1")).headers.get("x-total-count"));
    const frames = floodFrames(5000);
    const sending = send(host(4).ns, frames, 2000);
    const latencies: number[] = [];
    let done = false;
    sending.finally(() => (done = true));
    while (!done) {
      const t0 = performance.now();
      expect((await api.get("/health")).status).toBe(200);
      latencies.push(performance.now() - t0);
      await Bun.sleep(50);
    }
    const sent = await sending;
    expect(sent.sent).toBe(5000);
    await Bun.sleep(1500);
    const floods = await changes("sighting_flood");
    expect(floods).toHaveLength(1);
    expect(floods[0]).toMatchObject({ severity: "warning", scan_id: null });
    expect(floods[0].description).toContain("Sighting flood");
    const devicesAfter = Number((await api.get("/api/devices?limit=1")).headers.get("x-total-count"));
    // At most one minute's cap of new devices (60) got in; the known devices are all still there.
    expect(devicesAfter - devicesBefore).toBeLessThanOrEqual(60);
    expect(devicesAfter - devicesBefore).toBeGreaterThan(0);
    expect(await device(host(4).mac!)).not.toBeNull();
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(1000);
    // The status route says so.
    const status = await api.get("/api/passive");
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ listening: true, interfaces: ["eth0"], flooding: ["eth0"] });
    expect(status.body.frames).toBeGreaterThanOrEqual(5000);
  }, 60_000);

  test("during a flood, a device only the inventory knows (the restarted watch has not heard it) is still seen; a newcomer is not", async () => {
    // 00:1d:0f:00:00:44 was added by "the listener follows its interface through a flap"; after the
    // restart nothing sends it until the flood is on, so neither the watch's memory nor the gate knows it.
    const known = "00:1d:0f:00:00:44";
    const newcomer = "00:1d:0f:00:00:4f";
    expect(await server.kill("SIGTERM")).toBe(0);
    await server.restart();
    const before = await device(known);
    expect(before).not.toBeNull();
    expect((await send(host(4).ns, floodFrames(3000), 3000)).sent).toBe(3000);
    await waitFor("flooding", async () => ((await api.get("/api/passive")).body.flooding as string[]).includes("eth0"));
    // Timestamps are in whole seconds: the sighting below must land in a later one.
    await Bun.sleep(1100);
    await send(host(4).ns, [gratuitousArp(known, "10.231.0.77"), gratuitousArp(newcomer, "10.231.0.78")]);
    const { value } = await waitFor("the known device seen during the flood", async () => {
      const d = await device(known);
      return d && d.last_seen > before.last_seen ? d : null;
    });
    expect(value.ip_address).toBe("10.231.0.77");
    expect(await device(newcomer)).toBeNull();
    expect((await api.get("/api/passive")).body.flooding).toEqual(["eth0"]);
  }, 60_000);

  test("during a flood, the devices of a restored backup are seen at once", async () => {
    // 00:1d:0f:00:00:45 (from "malformed DHCP and mDNS frames…") is in the backup, then forgotten;
    // after a restart the flood reads the inventory without it; the restore brings it back.
    const mac = "00:1d:0f:00:00:45";
    const backup = await fetch(`http://argus/api/backup`, { unix: server.unix, headers: { "X-API-Key": apiKey } } as RequestInit);
    expect(backup.status).toBe(200);
    const bytes = new Uint8Array(await backup.arrayBuffer());
    const id = (await device(mac)).id;
    expect((await api.delete(`/api/devices/${id}`)).status).toBe(204);
    expect(await server.kill("SIGTERM")).toBe(0);
    await server.restart();
    const flood = () => floodFrames(1500);
    await send(host(4).ns, flood(), 3000);
    await waitFor("flooding", async () => ((await api.get("/api/passive")).body.flooding as string[]).includes("eth0"));
    // More of the flood: its newcomers are what makes the watch read the inventory (without the MAC).
    await send(host(4).ns, flood(), 3000);
    const restored = await session.request("POST", "/api/restore", { body: bytes, headers: { "content-type": "application/octet-stream", "X-Argus-Password": ADMIN.password } });
    expect(restored.status).toBe(200);
    await send(host(4).ns, [gratuitousArp(mac, "10.231.0.93")]);
    const { value } = await waitFor("the restored device seen during the flood", async () => {
      const d = await device(mac);
      return d?.ip_address === "10.231.0.93" ? d : null;
    }, 3000);
    expect(value.mac_address).toBe(mac);
    expect((await api.get("/api/passive")).body.flooding).toEqual(["eth0"]);
  }, 60_000);

  test("during a flood, a newcomer admitted by its DHCP handshake keeps its mDNS name heard in the same burst, behind 300 flood frames", async () => {
    // The red-team's case: the flood's frames are dropped before their full decode; a newcomer's own
    // later frames in the same read must be judged after its ACK was handled, not before.
    // The server the watch learned first (on first sight, whichever frame that was in this file).
    const [known] = (await api.get("/api/config")).body.known_infrastructure.dhcp_servers as { server_id: string; mac: string }[];
    expect(known).toBeDefined();
    expect((await api.get("/api/passive")).body.flooding).toEqual(["eth0"]);
    const mac = "3c:07:54:00:0c:01";
    const ip = "10.231.0.171";
    const burst = [
      dhcpFrame(mac, { type: 3, requested: ip }),
      dhcpFrame(mac, { type: 5, srcMac: known.mac, srcIp: known.server_id, reply: { yiaddr: ip, serverId: known.server_id } }),
      ...floodFrames(300),
      mdnsResponse(mac, ip, [rr.a("burst-phone.local", ip), rr.ptr("_ipp._tcp.local", "burst-phone._ipp._tcp.local")]),
    ];
    expect((await send(host(4).ns, burst, 200_000)).sent).toBe(burst.length);
    const { value } = await waitFor("the newcomer with its mDNS name", async () => {
      const d = await device(mac);
      return d?.hostname === "burst-phone" ? d : null;
    }, 3000);
    expect(value.ip_address).toBe(ip);
    expect(value.mdns_services).toEqual(["_ipp._tcp"]);
  }, 30_000);

  test("SIGTERM stops the appliance with its listener cleanly", async () => {
    const t0 = Date.now();
    expect(await server.kill("SIGTERM")).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  }, 30_000);
});
