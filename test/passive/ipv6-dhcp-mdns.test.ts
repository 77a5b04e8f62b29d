// DHCPv6 and mDNS over IPv6, passively, on the namespace test network: the appliance listens in the
// scanner namespace while LAN hosts, with IPv6 turned on in their own namespaces only, send a DHCPv6
// SOLICIT with a client FQDN (raw frames from the host's own MAC and link-local address: deterministic)
// and answer mDNS over IPv6 with a real responder on a kernel socket (test/passive/mdns-responder.py).
// Evidence from a frame counts only for the MAC that sent it: a DUID carrying another device's MAC
// names only the sender, and an AAAA record names no address (only the frame's IPv6 source is linked).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import type { Browser } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { addressRow, consoleErrors, overflow, signedIn } from "../helpers/ui.ts";
import { dhcp6Frame, duidLlt, gratuitousArp, udp6Frame } from "../helpers/frames.ts";
import { mustRun, sendFrames } from "../helpers/lan.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireTools } from "../helpers/require.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { IP6_NEW_PER_MAC } from "../../src/passive/watch.ts";

const RESPONDER = resolve(import.meta.dir, "mdns-responder.py");
const missing = browserMissing();
const runnable = missing === null && requireRoot("DHCPv6 and IPv6 mDNS on the namespace test network") && requireTools([["python3", "python3"]]);

describe.skipIf(!runnable)("DHCPv6 and mDNS over IPv6, passively", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let session: Client;
  let browser: Browser | undefined;
  const spawned: ReturnType<typeof Bun.spawn>[] = [];
  const hosts = () => net.truth.hosts.filter((h) => h.behaviour === "normal");
  const sh = (ns: string, cmd: string[]) => mustRun(net, ns, cmd);

  /** IPv6 on in this host's namespace with only the addresses given (no generated link-local, no DAD). */
  const enable6 = async (ns: string, addresses: string[]) => {
    await sh(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.eth0.addr_gen_mode=1"]);
    await sh(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.eth0.disable_ipv6=0"]);
    for (const a of addresses) await sh(ns, ["ip", "-6", "addr", "add", `${a}/64`, "dev", "eth0", "nodad"]);
  };
  const deviceOf = async (mac: string) => {
    const list = await api.get(`/api/devices?q=${mac}&limit=10`);
    expect(list.status).toBe(200);
    return (list.body as any[]).find((d) => d.mac_address === mac) ?? null;
  };
  const detail = async (id: number) => {
    const res = await api.get(`/api/devices/${id}`);
    expect(res.status).toBe(200);
    return res.body as any;
  };
  const waitFor = async <T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> => {
    const t0 = Date.now();
    for (;;) {
      const v = await f();
      if (v) return v;
      if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await Bun.sleep(200);
    }
  };
  const v6 = (d: any) => (d.addresses as any[]).filter((x) => x.family === 6);
  /** A host made known to the inventory by its gratuitous ARP (IPv6 frames alone never make a device). */
  const known = async (h: { ns: string; mac: string | null; ip: string }) => {
    await sendFrames(net, h.ns, [gratuitousArp(h.mac!, h.ip)]);
    return waitFor(`${h.mac}'s device`, () => deviceOf(h.mac!));
  };

  beforeAll(async () => {
    net = await startTestnet({ hosts: 4 });
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    const admin = await adminWithKey(server);
    session = admin.session;
    api = server.client({ "X-API-Key": admin.key });
  }, 120_000);

  afterAll(async () => {
    for (const p of spawned) p.kill();
    await Promise.all(spawned.map((p) => p.exited));
    await browser?.close();
    await server?.close();
    await net?.down();
  });

  test("a DHCPv6 SOLICIT with a client FQDN names the known device that sent it and links its link-local address", async () => {
    const [a] = hosts();
    await enable6(a.ns, ["fe80::a"]);
    const dev = await known(a);
    expect(dev.hostname).toBeNull();
    await sendFrames(net, a.ns, [dhcp6Frame({ srcMac: a.mac!, srcIp: "fe80::a", fqdn: "anna-laptop.home.arpa" })]);
    const d = await waitFor("a's DHCPv6 name and address", async () => {
      const x = await detail(dev.id);
      return x.hostname === "anna-laptop" && v6(x).length > 0 ? x : null;
    });
    // The name ranks as a DHCP name (what the host asked to be called), and is listed with its source.
    expect(d.hostname_source).toBe("dhcp");
    expect(d.names).toContainEqual(expect.objectContaining({ name: "anna-laptop", source: "dhcp" }));
    expect(v6(d)).toEqual([expect.objectContaining({ address: "fe80::a", family: 6, scope: "link", mac: a.mac, source: "dhcpv6" })]);
  }, 60_000);

  test("a host answering mDNS over IPv6 gets its name, services and the IPv6 source address, not the AAAA record's", async () => {
    const [, b] = hosts();
    await enable6(b.ns, ["fe80::b", "fd00:51::b"]);
    const dev = await known(b);
    // The AAAA record names b's ULA; the kernel sends to ff02::fb from the link-local address.
    const proc = Bun.spawn(["ip", "netns", "exec", b.ns, "python3", RESPONDER, "--ip6", "fd00:51::b", "--name", "officejet-6", "--service", "_ipp._tcp", "--model", "OfficeJet 6", "--duration", "4"], {
      stdout: "ignore",
      stderr: "inherit",
    });
    spawned.push(proc);
    const d = await waitFor("b's mDNS name and address", async () => {
      const x = await detail(dev.id);
      return x.hostname === "officejet-6" && v6(x).length > 0 ? x : null;
    });
    expect(await proc.exited).toBe(0);
    expect(d.hostname_source).toBe("mdns");
    expect(d.mdns_services).toContain("_ipp._tcp");
    expect(v6(d)).toEqual([expect.objectContaining({ address: "fe80::b", family: 6, scope: "link", mac: b.mac, source: "mdns" })]);
  }, 60_000);

  test("a DHCPv6 SOLICIT whose DUID carries another device's MAC names only the sender; a host heard only by DHCPv6 gets no device", async () => {
    const [a, , c, d] = hosts();
    await enable6(c.ns, ["fe80::c"]);
    const devC = await known(c);
    const before = await detail((await deviceOf(a.mac!)).id);
    // c claims, in its DUID, to be a; the frame is c's own.
    await sendFrames(net, c.ns, [dhcp6Frame({ srcMac: c.mac!, srcIp: "fe80::c", duid: duidLlt(a.mac!), fqdn: "not-anna" })]);
    const dc = await waitFor("c's DHCPv6 name", async () => {
      const x = await detail(devC.id);
      return x.hostname === "not-anna" ? x : null;
    });
    expect(v6(dc)).toEqual([expect.objectContaining({ address: "fe80::c", mac: c.mac, source: "dhcpv6" })]);
    // d, never heard over IPv4, asks over DHCPv6 from its own MAC.
    await sendFrames(net, d.ns, [dhcp6Frame({ srcMac: d.mac!, srcIp: "fe80::d", fqdn: "stranger" })]);
    // Give the listener the time it took for c, then look: a is untouched, d is nobody.
    await Bun.sleep(1500);
    const after = await detail(before.id);
    expect(after.hostname).toBe("anna-laptop");
    expect(after.names.map((n: any) => n.name)).not.toContain("not-anna");
    expect(v6(after).map((x: any) => x.address)).toEqual(["fe80::a"]);
    expect(await deviceOf(d.mac!)).toBeNull();
  }, 60_000);

  test("the name a host gave over DHCPv6 before it was known reaches its device with its first IPv4 sighting; one MAC spraying IPv6 sources links at most IP6_NEW_PER_MAC - 1 of them", async () => {
    const [, , , d] = hosts();
    // d asked over DHCPv6 as "stranger" in the test before; its gratuitous ARP now makes it known.
    const dev = await known(d);
    const named = await waitFor("d's name from its DHCPv6 FQDN", async () => {
      const x = await detail(dev.id);
      return x.hostname === "stranger" ? x : null;
    });
    expect(named.hostname_source).toBe("dhcp");
    expect(v6(named)).toEqual([]);
    // 40 SOLICITs from 40 link-local sources, all from d's own MAC.
    const frames = Array.from({ length: 40 }, (_, i) => dhcp6Frame({ srcMac: d.mac!, srcIp: `fe80::d:${(i + 1).toString(16)}`, fqdn: "stranger" }));
    await sendFrames(net, d.ns, frames, 200);
    await waitFor("d's IPv6 addresses", async () => v6(await detail(dev.id)).length >= IP6_NEW_PER_MAC - 1);
    await Bun.sleep(1500);
    const after = v6(await detail(dev.id));
    expect(after.length).toBe(IP6_NEW_PER_MAC - 1);
    expect(after.every((x: any) => x.mac === d.mac && x.source === "dhcpv6")).toBe(true);
  }, 60_000);

  test("the device page says how each IPv6 address was heard, at phone width", async () => {
    const [a, b] = hosts();
    browser = await launchBrowserIn(server.ns);
    const context = await signedIn(browser, session, server.inside, { viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    const errors = consoleErrors(page);
    for (const [h, address, how] of [
      [a, "fe80::a", "IPv6, link-local (heard asking DHCPv6)"],
      [b, "fe80::b", "IPv6, link-local (heard announcing over mDNS)"],
    ] as const) {
      const dev = await deviceOf(h.mac!);
      await page.goto(`${server.inside}/devices/${dev.id}`);
      expect(await addressRow(page, address)).toContain(how);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
    }
    expect(errors).toEqual([]);
  }, 60_000);

  test("the kernel filter passes IPv6 UDP to 547 and from or to 5353, and no other IPv6 UDP", async () => {
    const [, , c] = hosts();
    const frames = async () => {
      const res = await api.get("/api/passive");
      expect(res.status).toBe(200);
      return res.body.frames as number;
    };
    const other = (i: number) => udp6Frame({ srcMac: c.mac!, dstMac: "33:33:00:01:00:02", srcIp: "fe80::c", dstIp: "ff02::1:2", sport: 546, dport: 5000 + i, payload: [1, 0, 0, 0] });
    const watched = (i: number) => udp6Frame({ srcMac: c.mac!, dstMac: "33:33:00:00:00:fb", srcIp: "fe80::c", dstIp: "ff02::fb", sport: 5353, dport: 5353, payload: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i] });
    const t0 = await frames();
    await sendFrames(net, c.ns, Array.from({ length: 100 }, (_, i) => other(i)), 500);
    await Bun.sleep(500);
    const t1 = await frames();
    // The hosts' own chatter may pass meanwhile, but not a hundred foreign datagrams.
    expect(t1 - t0).toBeLessThan(20);
    await sendFrames(net, c.ns, Array.from({ length: 100 }, (_, i) => watched(i)), 500);
    await waitFor("the mDNS frames through the filter", async () => (await frames()) - t1 >= 100);
  }, 60_000);
});
