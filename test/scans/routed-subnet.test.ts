// A scan of a routed subnet (issue 20): the appliance on LAN A scans LAN B, which only the router
// (test/helpers/testnet.ts, `routed`) reaches. Its hosts are found by ICMP echo, and one that ignores
// echo by a TCP connect; none gets a MAC from the wire (a routed host's frames carry the router's),
// and not one ARP request for a LAN B address leaves the appliance.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { captureArpFrom, mustRun, type ArpCapture } from "../helpers/lan.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, requireTools } from "../helpers/require.ts";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startTestnet, type Testnet } from "../helpers/testnet.ts";

const ready = requireRoot("builds a routed test network") && requireTools([["tcpdump", "tcpdump"]]);

describe.skipIf(!ready)("scanning a routed subnet", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let arp: ArpCapture;
  beforeAll(async () => {
    net = await startTestnet({ hosts: 1, routed: 3 });
    try {
      // The last LAN B host ignores echo, as Windows' default firewall does; its closed ports still refuse.
      await mustRun(net, net.hostsWith("routed")[2].ns, ["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"]);
      arp = await captureArpFrom(`${net.prefix}-rtr`, net.truth.scanner_mac);
      server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.routed_subnet! });
      api = server.client({ "X-API-Key": (await adminWithKey(server)).key });
    } catch (e) {
      await server?.close();
      await net.down();
      throw e;
    }
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await net?.down();
  });

  test("finds every LAN B host by echo or TCP, with no MAC and no ARP for them", async () => {
    const started = await api.request("POST", `/api/scan/trigger?profile=quick&subnet=${encodeURIComponent(net.truth.routed_subnet!)}`);
    expect(started.status).toBe(202);
    const scan = await waitForScan(api, started.body.scan_id);
    expect(scan.status).toBe("completed");

    const devices = (await api.get("/api/devices?limit=100")).body as { ip_address: string; mac_address: string | null }[];
    const routed = net.hostsWith("routed");
    for (const h of routed) {
      const d = devices.find((x) => x.ip_address === h.ip);
      expect(d, `device for ${h.ip}`).toBeDefined();
      expect(d!.mac_address).toBeNull();
    }
    // The router's LAN B leg answers echo too; nothing else is there.
    expect(devices.map((d) => d.ip_address).sort()).toEqual([...routed.map((h) => h.ip), "10.232.0.254"].sort());

    const seenByScan = (await api.get(`/api/scans/${scan.id}/devices?limit=100`)).body as { ip_address: string; method: string }[];
    const methodOf = (ip: string) => seenByScan.find((x) => x.ip_address === ip)?.method;
    expect(methodOf(routed[0].ip)).toBe("icmp");
    expect(methodOf(routed[2].ip)).toBe("tcp");

    const seen = await arp.stop();
    expect(seen.lines.filter((l) => / 10\.232\./.test(l))).toEqual([]);
  }, 120_000);
});
