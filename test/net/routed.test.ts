// Routed addresses (on no subnet of ours): which they are, that they never keep a MAC the wire
// suggested, and that TCP discovery declines a range too big to connect to address by address.
// The scan of a real routed subnet is test/scans/routed-subnet.test.ts.
import { describe, expect, test } from "bun:test";
import type { NetInterface } from "../../src/net/interfaces.ts";
import { parseIpv4 } from "../../src/net/ip.ts";
import { isRouted, TCP_DISCOVERY_MAX, tcpDiscover, withoutRoutedMacs } from "../../src/net/routed.ts";
import type { SweepResult } from "../../src/net/sweep.ts";

const lan: NetInterface = { name: "eth0", ip: "192.168.1.10", ipNum: parseIpv4("192.168.1.10")!, prefix: 24, mac: "02:00:00:00:00:10", subnet: "192.168.1.0/24", network: parseIpv4("192.168.1.0")! };
// A point-to-point /31 is still a subnet of ours: its peer's neighbour entry is real.
const p2p: NetInterface = { name: "eth1", ip: "10.9.0.0", ipNum: parseIpv4("10.9.0.0")!, prefix: 31, mac: "02:00:00:00:00:11", subnet: "10.9.0.0/31", network: parseIpv4("10.9.0.0")! };
const ifaces = [lan, p2p];
const ip = (s: string) => parseIpv4(s)!;
const result = (addr: string, mac: string | null, method: SweepResult["method"]): SweepResult => ({ ip: addr, mac, rtt_ms: 1, method, attempt: 1, flags: [], iface: null });

describe("routed addresses", () => {
  test("in no interface's subnet", () => {
    expect(isRouted(ip("192.168.1.77"), ifaces)).toBe(false);
    expect(isRouted(ip("10.9.0.1"), ifaces)).toBe(false);
    expect(isRouted(ip("192.168.20.5"), ifaces)).toBe(true);
  });

  test("a routed host keeps no MAC; on-link hosts keep theirs", () => {
    const out = withoutRoutedMacs(
      [result("192.168.1.77", "02:00:00:00:00:77", "arp"), result("10.9.0.1", "02:00:00:00:00:91", "icmp"), result("192.168.20.5", "02:00:00:00:00:fe", "icmp")],
      ifaces,
    );
    expect(out.map((r) => r.mac)).toEqual(["02:00:00:00:00:77", "02:00:00:00:00:91", null]);
  });

  test("TCP discovery declines more silent routed addresses than its bound, and on-link ones", async () => {
    const many = Array.from({ length: TCP_DISCOVERY_MAX + 1 }, (_, i) => ip("172.16.0.0") + i);
    expect(await tcpDiscover(many, ifaces, {})).toEqual([]);
    // Nothing routed among them: nothing to connect to.
    expect(await tcpDiscover([ip("192.168.1.77")], ifaces, {})).toEqual([]);
  });
});
