// IPv6, passively, on the namespace test network: the appliance listens in the scanner namespace while
// two LAN hosts, with IPv6 turned on in their own namespaces only (the test network turns it off
// elsewhere), make their kernels resolve each other by neighbour discovery. A host the inventory knows
// gains its link-local and ULA addresses; a host heard only through NDP gets no device.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { browserMissing, launchBrowserIn } from "../helpers/browser.ts";
import { gratuitousArp } from "../helpers/frames.ts";
import { mustRun, sendFrames } from "../helpers/lan.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireTools } from "../helpers/require.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { addressRow, consoleErrors, overflow, signedIn } from "../helpers/ui.ts";

const missing = browserMissing();
const runnable = missing === null && requireRoot("IPv6 neighbour discovery on the namespace test network") && requireTools([["python3", "python3"]]);

/** A datagram to `address` from the namespace's eth0: the kernel first resolves it with a Neighbor Solicitation. */
const nudge6 = (address: string) =>
  `import socket\ns = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\ns.sendto(b"x", ("${address}", 9, 0, socket.if_nametoindex("eth0")))\n`;

describe.skipIf(!runnable)("IPv6 neighbour discovery, passively", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let session: Client;
  let browser: Browser | undefined;
  const hosts = () => net.truth.hosts.filter((h) => h.behaviour === "normal");
  const sh = (ns: string, cmd: string[], stdin?: string) => mustRun(net, ns, cmd, stdin);

  /** IPv6 on in this host's namespace, with a fixed link-local and ULA address (no DAD: the test network is ours). */
  const enable6 = async (ns: string, suffix: string) => {
    await sh(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.eth0.disable_ipv6=0"]);
    await sh(ns, ["ip", "-6", "addr", "add", `fe80::${suffix}/64`, "dev", "eth0", "nodad"]);
    await sh(ns, ["ip", "-6", "addr", "add", `fd00:51::${suffix}/64`, "dev", "eth0", "nodad"]);
  };
  const deviceOf = async (mac: string) => {
    const list = await api.get(`/api/devices?q=${mac}&limit=10`);
    expect(list.status).toBe(200);
    return (list.body as any[]).find((d) => d.mac_address === mac) ?? null;
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

  beforeAll(async () => {
    net = await startTestnet({ hosts: 2 });
    server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet });
    const admin = await adminWithKey(server);
    session = admin.session;
    api = server.client({ "X-API-Key": admin.key });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await net?.down();
  });

  test("a known host's link-local and ULA addresses join its device's addresses after it sends NDP; a host heard only by NDP gets no device", async () => {
    const [a, b] = hosts();
    await enable6(a.ns, "a");
    await enable6(b.ns, "b");
    // a becomes a known device by its gratuitous ARP.
    await sendFrames(net, a.ns, [gratuitousArp(a.mac!, a.ip)]);
    const known = await waitFor("a's device", () => deviceOf(a.mac!));
    // b, never heard over IPv4, solicits an address nobody has first (a's kernel does not listen to that
    // group, so it learns nothing of b): the appliance hears b's solicitation before a's.
    await sh(b.ns, ["python3", "-c", nudge6("fd00:51::99")]);
    // a's kernel resolves b: Neighbor Solicitations (multicast, so the appliance hears them) from fd00:51::a and fe80::a.
    await sh(a.ns, ["python3", "-c", nudge6("fd00:51::b")]);
    await sh(a.ns, ["python3", "-c", nudge6("fe80::b")]);
    const v6 = (d: any) => (d.addresses as any[]).filter((x) => x.family === 6);
    const detail = await waitFor("a's IPv6 addresses", async () => {
      const res = await api.get(`/api/devices/${known.id}`);
      expect(res.status).toBe(200);
      return v6(res.body).length >= 2 ? res.body : null;
    });
    const byAddress = Object.fromEntries(v6(detail).map((x: any) => [x.address, x]));
    expect(byAddress["fd00:51::a"]).toMatchObject({ family: 6, scope: "ula", mac: a.mac, source: "ndp" });
    expect(byAddress["fe80::a"]).toMatchObject({ family: 6, scope: "link", mac: a.mac, source: "ndp" });
    // Its IPv4 address is there too, as family 4.
    expect(detail.addresses).toContainEqual(expect.objectContaining({ address: a.ip, family: 4, scope: "private", mac: a.mac }));
    // Only what a's own frames said: b's addresses are not a's.
    expect(v6(detail).map((x: any) => x.address).sort()).toEqual(["fd00:51::a", "fe80::a"]);
    // b's solicitation was heard before a's; it made no device.
    expect(await deviceOf(b.mac!)).toBeNull();

    // The device page lists them, at phone width too.
    browser = await launchBrowserIn(server.ns);
    const context = await signedIn(browser, session, server.inside, { viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${server.inside}/devices/${known.id}`);
    expect(await addressRow(page, "fd00:51::a")).toContain("IPv6, unique local (heard by neighbour discovery)");
    expect(await addressRow(page, "fe80::a")).toContain("IPv6, link-local (heard by neighbour discovery)");
    expect(await addressRow(page, a.ip)).toContain("IPv4, private");
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
  }, 90_000);
});
