// Lease files written by the real daemons (Debian dnsmasq-base and isc-dhcp-server) serving DHCP in
// a test network's namespaces to busybox udhcpc clients, read by the real appliance running in its
// own namespace. The clients join BEFORE the appliance listens, as a host with a long lease renews by
// unicast: their names never cross the appliance's wire, and arrive anyway, from the lease files,
// named by the source ("hostname_source": "dnsmasq_leases" / "isc_leases").
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { requireTools, tool } from "../helpers/require.ts";
import { mustRun, udhcpcJoin, udhcpcScript } from "../helpers/lan.ts";
import { Scratch } from "../helpers/scratch.ts";

const runnable =
  requireRoot("DHCP servers and the appliance in test network namespaces") &&
  requireTools([
    ["dnsmasq", "dnsmasq-base"],
    ["dhcpd", "isc-dhcp-server"],
    ["busybox", "busybox"],
  ]);

describe.skipIf(!runnable)("lease files of the real DHCP servers", () => {
  const scratch = new Scratch();
  let net: Testnet;
  let server: NetServer | null = null;
  let api: Client;
  let dir: string;
  const daemons: ReturnType<typeof Bun.spawn>[] = [];
  const host = (n: number) => net.truth.hosts.filter((h) => h.behaviour === "normal")[n - 1];
  const DNSMASQ_MAC = "3c:07:54:00:20:01";
  const ISC_MAC = "3c:07:54:00:20:02";

  const waitFor = async <T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> => {
    const t0 = Date.now();
    for (;;) {
      const v = await f();
      if (v) return v;
      if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await Bun.sleep(100);
    }
  };

  /** Joins from host `n` with MAC `mac`, announcing `hostname`; the address leased. */
  const join_ = async (n: number, mac: string, hostname: string): Promise<string> => {
    const ns = host(n).ns;
    await mustRun(net, ns, ["ip", "addr", "flush", "dev", "eth0"]);
    await mustRun(net, ns, ["ip", "link", "set", "eth0", "address", mac]);
    await mustRun(net, ns, udhcpcJoin(udhcpcScript(dir), hostname));
    const addr = await mustRun(net, ns, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]);
    return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(addr)![1];
  };

  let dnsmasqIp = "";
  let iscIp = "";

  beforeAll(async () => {
    net = await startTestnet({ hosts: 4 });
    dir = scratch.dir("argus-lease-daemons-");
    const lan = net.truth.lan_subnet;
    const base = lan.split("/")[0].split(".").slice(0, 3).join(".");

    // dnsmasq on h1 writes its lease file; h2 joins.
    const dnsmasq = Bun.spawn(
      ["ip", "netns", "exec", host(1).ns, tool("dnsmasq")!, "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=eth0", "--bind-interfaces", "--user=root", "--group=root",
        `--dhcp-range=${base}.100,${base}.149,255.255.255.0,12h`, "--dhcp-authoritative", "--no-ping", `--dhcp-leasefile=${join(dir, "dnsmasq.leases")}`, `--pid-file=${join(dir, "dnsmasq.pid")}`, "--log-facility=-", "--quiet-dhcp"],
      { stdout: "ignore", stderr: "ignore" },
    );
    daemons.push(dnsmasq);
    await Bun.sleep(300);
    dnsmasqIp = await join_(2, DNSMASQ_MAC, "lease-only-dnsmasq");
    dnsmasq.kill("SIGTERM");
    await dnsmasq.exited;

    // ISC dhcpd on h1 (the only DHCP server now), its lease file in the temp dir; h3 joins.
    writeFileSync(
      join(dir, "dhcpd.conf"),
      `authoritative;\ndefault-lease-time 43200;\nmax-lease-time 86400;\nsubnet ${base}.0 netmask 255.255.255.0 {\n  range ${base}.150 ${base}.199;\n}\n`,
    );
    writeFileSync(join(dir, "dhcpd.leases"), "");
    const dhcpd = Bun.spawn(
      ["ip", "netns", "exec", host(1).ns, tool("dhcpd")!, "-4", "-f", "-d", "-q", "-cf", join(dir, "dhcpd.conf"), "-lf", join(dir, "dhcpd.leases"), "-pf", join(dir, "dhcpd.pid"), "eth0"],
      { stdout: "ignore", stderr: "pipe" },
    );
    daemons.push(dhcpd);
    await Bun.sleep(500);
    if (dhcpd.exitCode !== null) throw new Error(`dhcpd exited: ${await new Response(dhcpd.stderr).text()}`);
    iscIp = await join_(3, ISC_MAC, "lease-only-isc");

    // Only now the appliance, on the LAN it watches, with both lease files and one that is missing.
    server = await startNetServer(net, { ARGUS_SUBNETS: lan });
    const { key } = await adminWithKey(server);
    api = server.client({ "X-API-Key": key });
    const put = await api.request("PUT", "/api/config", {
      json: {
        sources: [
          { name: "router-dnsmasq", type: "dnsmasq_leases", path: join(dir, "dnsmasq.leases") },
          { name: "router-dhcpd", type: "isc_leases", path: join(dir, "dhcpd.leases") },
          { name: "gone", type: "dnsmasq_leases", path: join(dir, "missing.leases") },
        ],
      },
    });
    if (put.status !== 200) throw new Error(`PUT /api/config: ${put.status} ${put.text}`);
  }, 120_000);

  afterAll(async () => {
    for (const d of daemons) d.kill("SIGKILL");
    await server?.close();
    await net?.down();
    scratch.clear();
  });

  const deviceByMac = async (mac: string) => {
    const list = await api.get(`/api/devices?q=${mac}&limit=10`);
    const found = (list.body as any[]).find((d) => d.mac_address === mac);
    return found ? (await api.get(`/api/devices/${found.id}`)).body : null;
  };

  test("the daemons wrote the leases with the names the clients sent", () => {
    expect(readFileSync(join(dir, "dnsmasq.leases"), "utf8")).toContain(`${DNSMASQ_MAC} ${dnsmasqIp} lease-only-dnsmasq`);
    const isc = readFileSync(join(dir, "dhcpd.leases"), "utf8");
    expect(isc).toContain(`lease ${iscIp} {`);
    expect(isc).toContain('client-hostname "lease-only-isc";');
    expect(existsSync(join(dir, "missing.leases"))).toBe(false);
  });

  test("the dnsmasq lease's name reaches the device, named by its source, in the device detail with every name", async () => {
    const d = await waitFor("device from the dnsmasq lease", async () => {
      const d = await deviceByMac(DNSMASQ_MAC);
      return d?.hostname === "lease-only-dnsmasq" ? d : null;
    });
    expect(d).toMatchObject({ ip_address: dnsmasqIp, hostname: "lease-only-dnsmasq", hostname_source: "dnsmasq_leases" });
    expect(d.names).toContainEqual(expect.objectContaining({ name: "lease-only-dnsmasq", source: "dnsmasq_leases" }));
    // Nobody said it on the wire: no DHCP name for it.
    expect(d.names.filter((n: any) => n.source === "dhcp")).toEqual([]);
  }, 30_000);

  test("the ISC dhcpd lease's name reaches the device the same way", async () => {
    const d = await waitFor("device from the dhcpd lease", async () => {
      const d = await deviceByMac(ISC_MAC);
      return d?.hostname === "lease-only-isc" ? d : null;
    });
    expect(d).toMatchObject({ ip_address: iscIp, hostname: "lease-only-isc", hostname_source: "isc_leases" });
    expect(d.names).toContainEqual(expect.objectContaining({ name: "lease-only-isc", source: "isc_leases" }));
  }, 30_000);

  test("GET /api/sources: both ok with their devices; the missing file failed with its reason; the appliance carries on", async () => {
    const list = await waitFor("three runs", async () => {
      const l = (await api.get("/api/sources")).body as any[];
      return l.every((s) => s.last_run_at !== null) ? l : null;
    });
    expect(list.map((s: any) => [s.name, s.type, s.status])).toEqual([
      ["router-dnsmasq", "dnsmasq_leases", "ok"],
      ["router-dhcpd", "isc_leases", "ok"],
      ["gone", "dnsmasq_leases", "failed"],
    ]);
    expect(list[0].devices).toBe(1);
    expect(list[1].devices).toBe(1);
    expect(list[2].detail).toBe(`not_found: ${join(dir, "missing.leases")} does not exist`);
    expect(list[2].last_ok_at).toBeNull();
    expect((await api.get("/api/devices?limit=100")).status).toBe(200);
  }, 30_000);

  test("a later block for the same address in dhcpd.leases wins; the device's names keep the earlier one with its source", async () => {
    // udhcpc again from h3 with another name: dhcpd appends a new block for the same address.
    await join_(3, ISC_MAC, "renamed-by-lease");
    expect(readFileSync(join(dir, "dhcpd.leases"), "utf8")).toContain('client-hostname "renamed-by-lease";');
    // (The appliance's passive watch hears this exchange too, so the wire's DHCP name says the same.)
    const run = await api.post("/api/sources/router-dhcpd/run");
    expect(run.body).toMatchObject({ status: "ok", devices: 1 });
    const d = await deviceByMac(ISC_MAC);
    expect(d.hostname).toBe("renamed-by-lease");
    expect(d.names.map((n: any) => `${n.source}:${n.name}`)).toEqual(expect.arrayContaining(["isc_leases:lease-only-isc", "isc_leases:renamed-by-lease"]));
  }, 30_000);
});
