// The test network itself (scripts/testnet.sh): each behaviour is checked from the
// scanner namespace with the independent prober (scripts/testnet/probe.py), then the
// lifecycle: parallel nets, idempotent down, cleanup after a failed up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { newPrefix, requireRoot, startTestnet, TESTNET_SCRIPT, withTestnet, type Testnet } from "./helpers/testnet.ts";

const root = requireRoot("the test network is made of network namespaces");

async function sh(cmd: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

async function namespacesOf(prefix: string): Promise<string[]> {
  const r = await sh(["ip", "netns", "list"]);
  return r.stdout
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(`${prefix}-`));
}

const LOSS_PCT = 30;

describe.skipIf(!root)("test network behaviours", () => {
  let net: Testnet;

  beforeAll(async () => {
    net = await startTestnet({
      hosts: 7,
      lossy: 1,
      slow: 1,
      deaf: 1,
      routed: 2,
      simNet: "10.240.0.0/16",
      simHosts: 300,
      lossPct: LOSS_PCT,
    });
  }, 30_000);

  afterAll(async () => {
    await net?.down();
  });

  test("truth matches the requested layout", async () => {
    const t = net.truth;
    expect(t.scanner_ns).toBe(`${net.prefix}-scan`);
    expect(t.scanner_iface).toBe("eth0");
    expect(t.scanner_ip).toBe("10.231.0.1");
    expect(t.lan_subnet).toBe("10.231.0.0/24");
    expect(t.routed_subnet).toBe("10.232.0.0/24");
    expect(t.sim_subnet).toBe("10.240.0.0/16");
    const count = (b: string) => t.hosts.filter((h) => h.behaviour === b && h.role !== "router").length;
    expect([count("normal"), count("lossy"), count("slow"), count("deaf"), count("routed"), count("sim")]).toEqual([4, 1, 1, 1, 2, 300]);
    const lan = net.hostsWith("normal", "lossy", "slow", "deaf").filter((h) => !h.role);
    expect(lan.map((h) => h.ip)).toEqual(lan.map((_, i) => `10.231.0.${10 + i}`));
    const macs = t.hosts.filter((h) => h.mac).map((h) => h.mac);
    expect(new Set(macs).size).toBe(macs.length);
    for (const h of net.hostsWith("routed")) expect([h.mac, h.via]).toEqual([null, "icmp"]);

    // The kernel state agrees with the truth: the scanner's addresses and route.
    const addrs = await net.exec(["ip", "-4", "-o", "addr", "show", "dev", "eth0"]);
    expect(addrs.stdout).toContain("10.231.0.1/24");
    expect(addrs.stdout).toContain("10.240.0.1/16");
    const routes = await net.exec(["ip", "-4", "route", "show", "10.232.0.0/24"]);
    expect(routes.stdout).toContain("via 10.231.0.254");
  });

  test("nothing of the net is in the root namespace", async () => {
    const addrs = await sh(["ip", "-4", "-o", "addr"]);
    for (const net_ of ["10.231.", "10.232.", "10.240."]) expect(addrs.stdout).not.toContain(` ${net_}`);
    const links = await sh(["ip", "-o", "link"]);
    expect(links.stdout).not.toContain(`${net.prefix}-`);
  });

  test("normal hosts and the router answer ARP with their MACs and answer ping", async () => {
    const hosts = net.hostsWith("normal");
    const arp = await net.probe("arp", hosts.map((h) => h.ip), { waitMs: 300 });
    for (const h of hosts) expect(arp.answered[h.ip]?.macs).toEqual([h.mac!]);
    const ping = await net.probe("ping", hosts.map((h) => h.ip), { waitMs: 1000 });
    for (const h of hosts) expect(ping.answered[h.ip]?.replies).toBe(1);
  });

  test("deaf hosts answer ARP but never ping", async () => {
    const [deaf] = net.hostsWith("deaf");
    const arp = await net.probe("arp", [deaf.ip], { waitMs: 300 });
    expect(arp.answered[deaf.ip]?.macs).toEqual([deaf.mac!]);
    const ping = await net.probe("ping", [deaf.ip], { count: 5, intervalMs: 50, waitMs: 500 });
    expect(ping.sent).toBe(5);
    expect(ping.answered[deaf.ip]).toBeUndefined();
  });

  test("slow hosts answer ARP only after their delay, and answer ping", async () => {
    const [slow] = net.hostsWith("slow");
    const [lo, hi] = slow.arp_delay_ms!;
    // Rounds spaced wider than the longest delay, so each reply belongs to the latest request.
    const arp = await net.probe("arp", [slow.ip], { count: 3, intervalMs: hi + 150, waitMs: hi + 300 });
    const a = arp.answered[slow.ip];
    expect(a?.macs).toEqual([slow.mac!]);
    expect(a.rtt_ms.length).toBe(3);
    for (const rtt of a.rtt_ms) {
      expect(rtt).toBeGreaterThanOrEqual(lo);
      expect(rtt).toBeLessThan(hi + 100);
    }
    // The kernel there does not speak ARP at all; the delay is all the responder's.
    const link = await net.nsExec(slow.ns, ["ip", "-o", "link", "show", "dev", "eth0"]);
    expect(link.stdout).toContain("NOARP");
    const ping = await net.probe("ping", [slow.ip], { count: 3, intervalMs: 100, waitMs: hi + 500 });
    expect(ping.answered[slow.ip]?.replies).toBe(3);
  });

  test("routed hosts answer ping through the router but not ARP", async () => {
    const routed = net.hostsWith("routed");
    const ping = await net.probe("ping", routed.map((h) => h.ip), { waitMs: 1000 });
    for (const h of routed) expect(ping.answered[h.ip]?.replies).toBe(1);
    const arp = await net.probe("arp", routed.map((h) => h.ip), { waitMs: 300 });
    expect(arp.answered).toEqual({});
    // The only way there is the router's forwarding.
    const fwd = await net.nsExec(`${net.prefix}-rtr`, ["cat", "/proc/sys/net/ipv4/ip_forward"]);
    expect(fwd.stdout.trim()).toBe("1");
  });

  test("lossy hosts drop about the configured share of ARP and echo requests", async () => {
    const [lossy] = net.hostsWith("lossy");
    const n = 200;
    // 200 trials at p = 0.7: sd ~ 3.2 points, so 55–85 % answered is a > 4.5 sd band.
    const arp = await net.probe("arp", [lossy.ip], { count: n, intervalMs: 3, waitMs: 200 });
    const arpShare = (arp.answered[lossy.ip]?.replies ?? 0) / n;
    expect(arpShare).toBeGreaterThan(0.55);
    expect(arpShare).toBeLessThan(0.85);
    // Pin the neighbour so ARP loss cannot stall the pings; this measures echo loss alone.
    await net.exec(["ip", "neigh", "replace", lossy.ip, "lladdr", lossy.mac!, "dev", "eth0", "nud", "permanent"]);
    const ping = await net.probe("ping", [lossy.ip], { count: n, intervalMs: 3, waitMs: 500 });
    const pingShare = (ping.answered[lossy.ip]?.replies ?? 0) / n;
    expect(pingShare).toBeGreaterThan(0.55);
    expect(pingShare).toBeLessThan(0.85);
  });

  test("the simulator answers ARP for exactly its addresses, each with its own MAC", async () => {
    const sim = net.hostsWith("sim");
    const want = new Map(sim.map((h) => [h.ip, h.mac!]));
    const arp = await net.probe("arp", ["10.240.0.0/16"], { src: net.truth.sim_scanner_ip!, waitMs: 1000 });
    expect(arp.sent).toBe(65534);
    const got = Object.entries(arp.answered);
    expect(got.length).toBe(sim.length);
    for (const [ip, a] of got) expect(a.macs).toEqual([want.get(ip)!]);
    expect(new Set(got.map(([, a]) => a.macs![0])).size).toBe(sim.length);
  }, 30_000);

  test("the simulator answers ping", async () => {
    const some = net.hostsWith("sim").slice(0, 40);
    const ping = await net.probe("ping", some.map((h) => h.ip), { waitMs: 1500 });
    for (const h of some) expect(ping.answered[h.ip]?.replies).toBe(1);
    // An address of the /16 that the simulator does not own stays silent.
    const owned = new Set(net.hostsWith("sim").map((h) => h.ip));
    const free = ["10.240.255.254", "10.240.255.253", "10.240.255.252"].find((ip) => !owned.has(ip))!;
    const none = await net.probe("ping", [free], { waitMs: 300 });
    expect(none.sent).toBe(1);
    expect(none.replies).toBe(0);
  });
});

describe.skipIf(!root)("simulator at scale", () => {
  test("answers 20,000 ARP requests per second for 20,000 addresses without loss", async () => {
    const net = await startTestnet({ hosts: 0, simNet: "10.240.0.0/16", simHosts: 20_000 });
    try {
      const sim = net.hostsWith("sim");
      expect(sim.length).toBe(20_000);
      const r = await net.probe("arp", sim.map((h) => h.ip), { src: net.truth.sim_scanner_ip!, count: 2, rate: 20_000, waitMs: 1000 });
      expect(r.sent).toBe(40_000);
      expect(r.send_pps).toBeGreaterThan(19_000); // the prober really offered the load
      expect(r.replies).toBe(40_000);
      for (const h of sim) expect(r.answered[h.ip]?.macs).toEqual([h.mac!]);
    } finally {
      await net.down();
    }
  }, 30_000);
});

describe.skipIf(!root)("test network lifecycle", () => {
  test("two nets come up in parallel, stay isolated, and go down without a trace", async () => {
    const [a, b] = await Promise.all([startTestnet({ hosts: 2 }), startTestnet({ hosts: 2, vendorMacs: true })]);
    try {
      expect(a.prefix).not.toBe(b.prefix);
      // Same addresses in both nets; each scanner must see only its own hosts' MACs.
      const [ra, rb] = await Promise.all([a.probe("arp", ["10.231.0.10"], { waitMs: 300 }), b.probe("arp", ["10.231.0.10"], { waitMs: 300 })]);
      expect(ra.answered["10.231.0.10"]?.macs).toEqual([a.truth.hosts[0].mac!]);
      expect(rb.answered["10.231.0.10"]?.macs).toEqual([b.truth.hosts[0].mac!]);
      expect(a.truth.hosts[0].mac).not.toBe(b.truth.hosts[0].mac);
    } finally {
      await Promise.all([a.down(), b.down()]);
    }
    expect(await namespacesOf(a.prefix)).toEqual([]);
    expect(await namespacesOf(b.prefix)).toEqual([]);
    // down is idempotent.
    const again = await sh([TESTNET_SCRIPT, "down", "--prefix", a.prefix]);
    expect(again.code).toBe(0);
  }, 30_000);

  test("withTestnet tears down when its body throws, and down ends processes left in the net", async () => {
    let prefix = "";
    let child: ReturnType<Testnet["spawn"]> | undefined;
    const failing = withTestnet({ hosts: 1 }, async (net) => {
      prefix = net.prefix;
      child = net.spawn(["sleep", "300"], { stdout: "ignore", stderr: "ignore" });
      expect((await net.exec(["ip", "-o", "link", "show", "dev", "eth0"])).exitCode).toBe(0);
      throw new Error("body failed");
    });
    await expect(failing).rejects.toThrow("body failed");
    expect(await namespacesOf(prefix)).toEqual([]);
    expect(await child!.exited).not.toBe(0); // killed by down, not finished
  }, 30_000);

  test("vendor mode uses globally administered MACs of registered vendors", async () => {
    const registry = JSON.parse(readFileSync(resolve(import.meta.dir, "../node_modules/oui-data/index.json"), "utf8"));
    const net = await startTestnet({ hosts: 12, routed: 1, vendorMacs: true });
    try {
      expect(net.truth.mac_mode).toBe("vendor");
      for (const h of net.truth.hosts.filter((x) => x.mac)) {
        const first = parseInt(h.mac!.slice(0, 2), 16);
        expect(first & 0x02).toBe(0); // not locally administered
        const oui = h.mac!.slice(0, 8).replaceAll(":", "").toUpperCase();
        expect(registry[oui]).toBeString();
      }
    } finally {
      await net.down();
    }
  }, 30_000);

  test("a failed or interrupted up removes what it built, and bad options are rejected before building", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "argus-testnet-fail-"));
    try {
      // A python that runs the planner but not the responder: up fails midway, after
      // the namespaces exist.
      const shim = join(tmp, "python");
      writeFileSync(shim, `#!/bin/sh\ncase "$1" in *responder.py) echo "injected failure" >&2; exit 1;; esac\nexec python3 "$@"\n`);
      chmodSync(shim, 0o755);
      const p = newPrefix();
      const r = await sh([TESTNET_SCRIPT, "up", "--prefix", p, "--hosts", "3", "--slow", "1"], { PYTHON: shim });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("injected failure");
      expect(await namespacesOf(p)).toEqual([]);

      const q = newPrefix();
      const bad = await sh([TESTNET_SCRIPT, "up", "--prefix", q, "--hosts", "2", "--deaf", "3"]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain("exceeds --hosts");
      expect(await namespacesOf(q)).toEqual([]);

      // Interrupted midway (namespaces exist, 250 hosts still being wired): cleans up too.
      const k = newPrefix();
      const up = Bun.spawn([TESTNET_SCRIPT, "up", "--prefix", k, "--hosts", "250"], { stdout: "ignore", stderr: "ignore" });
      while (!(await namespacesOf(k)).includes(`${k}-br`)) await Bun.sleep(5);
      up.kill("SIGTERM");
      expect(await up.exited).toBe(143);
      expect(await namespacesOf(k)).toEqual([]);

      const badPrefix = await sh([TESTNET_SCRIPT, "up", "--prefix", "Bad-Prefix", "--hosts", "1"]);
      expect(badPrefix.code).not.toBe(0);
      expect(badPrefix.stderr).toContain("prefix must match");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 30_000);
});
