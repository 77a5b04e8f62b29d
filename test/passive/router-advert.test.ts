// Rogue IPv6 routers (issue 19, SPEC §7) on the namespace test network, with IPv6 turned on in the
// router hosts' namespaces only: Debian's radvd on h1 is the LAN's router, learned on first sight
// (an info change, no alert); a second radvd on h2 is a guest's router, one critical
// rogue_router_advert however often it advertises; a flood of advertisements from random MACs is at
// most the hour's alert budget; a router the owner adds to known_infrastructure is quiet; an RA wrapped
// in IPv6 extension headers (which hosts still accept) from an unknown router is a rogue one too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gratuitousArp, ndpFrame } from "../helpers/frames.ts";
import { mustRun, sendFrames } from "../helpers/lan.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireTools } from "../helpers/require.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";

const runnable = requireRoot("IPv6 router advertisements on the namespace test network") &&
  requireTools([
    ["radvd", "radvd"],
    ["python3", "python3"],
  ]);

/** ROGUE_ALERTS_PER_HOUR in src/passive/watch.ts: rogue alerts of one kind an hour per interface. */
const BUDGET = 10;

describe.skipIf(!runnable)("IPv6 router advertisements: the known router learned, a rogue one an alert", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let dir: string;
  const daemons: ReturnType<typeof Bun.spawn>[] = [];
  const host = (n: number) => net.truth.hosts.filter((h) => h.behaviour === "normal")[n - 1];
  const sh = (ns: string, cmd: string[], stdin?: string) => mustRun(net, ns, cmd, stdin);
  const changes = async (type: string, mac?: string) => {
    const res = await api.get(`/api/changes?change_type=${type}&limit=1000`);
    expect(res.status).toBe(200);
    return (res.body as any[]).filter((c) => !mac || c.device_mac === mac);
  };
  const waitFor = async <T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> => {
    const t0 = Date.now();
    for (;;) {
      const v = await f();
      if (v) return v;
      if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await Bun.sleep(200);
    }
  };
  /** A frame from a fresh MAC whose device_added says that everything the same host sent before it was handled. */
  let markers = 0;
  const marker = () => {
    const mac = `00:1d:0f:00:0c:${(++markers).toString(16).padStart(2, "0")}`;
    return { mac, frame: gratuitousArp(mac, `10.231.0.${200 + markers}`) };
  };
  const handled = async (m: { mac: string }) => waitFor("marker", async () => (await changes("device_added", m.mac))[0]);

  /** IPv6 on in the namespace with only the link-local address given (no address made up from the MAC), forwarding on as a router has it. */
  const router6 = async (ns: string, linkLocal: string) => {
    await sh(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.eth0.addr_gen_mode=1", "net.ipv6.conf.all.forwarding=1"]);
    await sh(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.eth0.disable_ipv6=0"]);
    await sh(ns, ["ip", "-6", "addr", "add", `${linkLocal}/64`, "dev", "eth0", "nodad"]);
  };
  /** radvd advertising `prefix` on the namespace's eth0 every 3–4 s, its files in the test's temp dir; killed at teardown. */
  const radvd = (ns: string, name: string, prefix: string) => {
    const conf = join(dir, `${name}.conf`);
    writeFileSync(conf, `interface eth0 {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n  prefix ${prefix} { };\n};\n`, { mode: 0o644 });
    const p = Bun.spawn(["ip", "netns", "exec", ns, "radvd", "--nodaemon", "-C", conf, "-p", join(dir, `${name}.pid`), "-m", "logfile", "-l", join(dir, `${name}.log`)], {
      stdout: "ignore",
      stderr: "ignore",
    });
    daemons.push(p);
    return p;
  };
  const known6 = async () => (await api.get("/api/config")).body.known_infrastructure.routers6 as { mac: string; ip: string }[];

  beforeAll(async () => {
    net = await startTestnet({ hosts: 4 });
    dir = mkdtempSync(join(tmpdir(), "argus-radvd-"));
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    api = server.client({ "X-API-Key": (await adminWithKey(server)).key });
    await router6(host(1).ns, "fe80::1");
    await router6(host(2).ns, "fe80::66");
  }, 120_000);

  afterAll(async () => {
    for (const p of daemons) p.kill("SIGKILL");
    await Promise.all(daemons.map((p) => p.exited));
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the first router heard advertising is learned into known_infrastructure.routers6, as an info change and no alert", async () => {
    radvd(host(1).ns, "known", "fd00:52::/64");
    const routers = await waitFor("router learned", async () => ((await known6()).length > 0 ? known6() : null));
    expect(routers).toEqual([{ mac: host(1).mac, ip: "fe80::1" }]);
    const learned = await waitFor("infrastructure_learned", async () => (await changes("infrastructure_learned", host(1).mac!))[0]);
    expect(learned).toMatchObject({ severity: "info", new_value: `fe80::1 ${host(1).mac}` });
    // It goes on advertising (every 3-4 s): still no alert.
    await Bun.sleep(5000);
    expect(await changes("rogue_router_advert")).toEqual([]);
  }, 60_000);

  test("a second radvd on another host is exactly one critical rogue_router_advert naming its MAC, however often it advertises", async () => {
    const h2 = host(2);
    radvd(h2.ns, "rogue", "fd00:66::/64");
    const alert = await waitFor("rogue_router_advert", async () => (await changes("rogue_router_advert"))[0]);
    expect(alert).toMatchObject({ severity: "critical", device_mac: h2.mac, device_ip: null, old_value: `fe80::1 (${host(1).mac})`, new_value: `fe80::66 ${h2.mac}` });
    expect(alert.description).toContain(h2.mac);
    // Three more advertisements at least: still one alert, and the known router is not named rogue.
    await Bun.sleep(10_000);
    expect(await changes("rogue_router_advert")).toHaveLength(1);
    expect(await known6()).toEqual([{ mac: host(1).mac, ip: "fe80::1" }]);
  }, 60_000);

  test(`a flood of advertisements from 200 random MACs is at most ${BUDGET} alerts an hour in all`, async () => {
    const frames = Array.from({ length: 200 }, (_, i) => {
      const mac = `06:77:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
      return ndpFrame({ type: 134, srcMac: mac, srcIp: `fe80::77:${i.toString(16)}`, lla: mac });
    });
    const m = marker();
    await sendFrames(net, host(4).ns, [...frames, m.frame], 2000);
    await handled(m);
    await Bun.sleep(300);
    const all = await changes("rogue_router_advert");
    // The rogue radvd's alert spent one of the hour's budget; the flood got the rest, and no more.
    expect(all).toHaveLength(BUDGET);
    expect(all.filter((c) => c.device_mac?.startsWith("06:77:"))).toHaveLength(BUDGET - 1);
  }, 60_000);

  test("the owner adds the second router to known_infrastructure (PUT /api/config): it is quiet, while an unknown one still alerts", async () => {
    const h2 = host(2);
    const known = (await api.get("/api/config")).body.known_infrastructure;
    const put = await api.request("PUT", "/api/config", { json: { known_infrastructure: { ...known, routers6: [...known.routers6, { mac: h2.mac, ip: "fe80::66" }] } } });
    expect(put.status).toBe(200);
    expect(await known6()).toEqual([
      { mac: host(1).mac, ip: "fe80::1" },
      { mac: h2.mac, ip: "fe80::66" },
    ]);
    // A restart forgets which routers were already reported this hour: only the configuration keeps h2 quiet now.
    await server.kill();
    await server.restart();
    // Both radvds advertise at least twice meanwhile; then a router nobody added, and a marker behind it.
    await Bun.sleep(9000);
    const m = marker();
    await sendFrames(net, host(4).ns, [ndpFrame({ type: 134, srcMac: "06:78:00:00:00:01", srcIp: "fe80::78", lla: "06:78:00:00:00:01" }), m.frame]);
    await handled(m);
    const fresh = await waitFor("the unknown router's alert", async () => (await changes("rogue_router_advert", "06:78:00:00:00:01"))[0]);
    expect(fresh.severity).toBe("critical");
    expect(await changes("rogue_router_advert", h2.mac!)).toHaveLength(1);
    expect(await changes("rogue_router_advert", host(1).mac!)).toEqual([]);
  }, 90_000);

  // (After the restart above: this hour's alert budget is fresh again.)
  test("an RA behind a Destination Options header from an unknown router passes the kernel filter and is exactly one critical rogue_router_advert", async () => {
    const rogue = "06:79:00:00:00:01";
    const wrapped = ndpFrame({ type: 134, srcMac: rogue, srcIp: "fe80::79", lla: rogue, extHeaders: [{ type: 60 }] });
    const m = marker();
    // Five times, as a rogue router would keep advertising: still one alert.
    await sendFrames(net, host(4).ns, [wrapped, wrapped, wrapped, wrapped, wrapped, m.frame], 50);
    await handled(m);
    const alert = await waitFor("the wrapped RA's alert", async () => (await changes("rogue_router_advert", rogue))[0]);
    expect(alert).toMatchObject({ severity: "critical", device_mac: rogue, device_ip: null, new_value: `fe80::79 ${rogue}` });
    expect(alert.description).toContain("behind IPv6 extension headers");
    // A chain of two (the kernel filter hands it to the decoder, which walks it) from another router: its own alert.
    const deeper = "06:79:00:00:00:02";
    const m2 = marker();
    await sendFrames(net, host(4).ns, [ndpFrame({ type: 134, srcMac: deeper, srcIp: "fe80::7a", extHeaders: [{ type: 0 }, { type: 60 }] }), m2.frame]);
    await handled(m2);
    const second = await waitFor("the deeper chain's alert", async () => (await changes("rogue_router_advert", deeper))[0]);
    expect(second.severity).toBe("critical");
    await Bun.sleep(500);
    expect(await changes("rogue_router_advert", rogue)).toHaveLength(1);
    expect(await changes("rogue_router_advert", deeper)).toHaveLength(1);
    // Never learned as a router.
    expect((await known6()).map((k) => k.mac)).not.toContain(rogue);
  }, 60_000);

  test("other IPv6 behind extension headers: the kernel filter drops what cannot be NDP, and longer chains the decoder ignores make no sightings", async () => {
    const stats = async () => (await api.get("/api/passive")).body as { frames: number; sightings: number; ignored: number };
    const src = (i: number) => `06:7a:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
    // 4 x 50 frames no host takes as NDP: an echo request behind DstOpt, an MLDv2 report behind Hop-by-Hop
    // (hop limit 1, as hosts send it), an RA behind a Fragment header, an NS behind DstOpt forwarded (hop limit 64).
    const dropped = Array.from({ length: 50 }, (_, i) => [
      ndpFrame({ type: 128, srcMac: src(i), srcIp: "fe80::7a", extHeaders: [{ type: 60 }] }),
      ndpFrame({ type: 143, srcMac: src(i), srcIp: "fe80::7a", dstIp: "ff02::16", hopLimit: 1, extHeaders: [{ type: 0 }] }),
      ndpFrame({ type: 134, srcMac: src(i), srcIp: "fe80::7a", extHeaders: [{ type: 44 }] }),
      ndpFrame({ type: 135, srcMac: src(i), srcIp: "fe80::7a", hopLimit: 64, extHeaders: [{ type: 60 }] }),
    ]).flat();
    const before = await stats();
    const m = marker();
    await sendFrames(net, host(4).ns, [...dropped, m.frame], 2000);
    await handled(m);
    const mid = await stats();
    // The marker, and what radvd and the LAN send meanwhile; none of the 200.
    expect(mid.frames - before.frames).toBeLessThan(20);
    // Echo requests behind two headers pass the filter (it cannot follow a chain) and the decoder ignores them.
    const deep = Array.from({ length: 50 }, (_, i) => ndpFrame({ type: 128, srcMac: src(100 + i), srcIp: "fe80::7b", extHeaders: [{ type: 60 }, { type: 60 }] }));
    const m2 = marker();
    await sendFrames(net, host(4).ns, [...deep, m2.frame], 2000);
    await handled(m2);
    const after = await stats();
    expect(after.frames - mid.frames).toBeGreaterThanOrEqual(50);
    expect(after.ignored - mid.ignored).toBeGreaterThanOrEqual(50);
    expect(after.sightings - mid.sightings).toBeLessThan(10);
  }, 60_000);
});
