// Target validation (SPEC section 3), expansion, exclusions, neighbour-table
// parsing and ARP/ICMP planning: pure functions, no network.
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { parseArgs } from "../../src/cli/sweep.ts";
import type { NetInterface } from "../../src/net/interfaces.ts";
import { attachedInterface, proposeSubnets } from "../../src/net/interfaces.ts";
import { formatIpv4, parseIpv4 } from "../../src/net/ip.ts";
import { parseProcNetArp } from "../../src/net/neighbours.ts";
import { mergeNeighbours, planSweep, withoutOwnAddresses } from "../../src/net/sweep.ts";
import { expandTargets, isExcludedMac, parseCidr, parseExclusions, TargetError, validateCidr, validateCidrs } from "../../src/net/targets.ts";

function rejects(fn: () => unknown, field: string, reason: RegExp) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TargetError);
    expect((e as TargetError).field).toBe(field);
    expect((e as TargetError).reason).toMatch(reason);
    return;
  }
  throw new Error("expected a TargetError");
}

describe("CIDR validation", () => {
  test("accepts private ranges and canonicalises host bits", () => {
    expect(validateCidr("192.168.1.0/24").text).toBe("192.168.1.0/24");
    expect(validateCidr("10.1.2.3/16").text).toBe("10.1.0.0/16");
    expect(validateCidr("100.64.3.0/24").text).toBe("100.64.3.0/24"); // CGNAT
    expect(validateCidr("169.254.7.0/24").text).toBe("169.254.7.0/24"); // link-local
    expect(validateCidr("10.0.0.5").text).toBe("10.0.0.5/32");
  });

  test("whitespace around or inside a CIDR is refused, not trimmed", () => {
    for (const padded of [" 172.16.5.0/24", "172.16.5.0/24 ", "172.16.5.0/24\n", "\t10.0.0.5", "10.0.0.5\r\n", "10.0.0.0/ 24"]) {
      rejects(() => validateCidr(padded), "subnet", /whitespace/);
    }
    rejects(() => validateCidrs("10.0.0.0/24, 10.0.1.0/24"), "subnet", /whitespace/);
    rejects(() => parseExclusions(["10.0.0.1 "]), "exclude", /whitespace/);
  });

  test("malformed input is rejected with the field and a reason", () => {
    for (const bad of ["", "10.0.0.0/33", "10.0.0/24", "10.0.0.256/24", "010.0.0.0/24", "10.0.0.0/024", "10.0.0.0/24/1", "10.0.0.0/-1", "router.local", "10.0.0.0/24; rm -rf /", "$(reboot)", "10.0.0.0 /24", "1e1.0.0.0/24", "0x0a.0.0.0/24"]) {
      rejects(() => validateCidr(bad), "subnet", /IPv4|prefix/);
    }
    rejects(() => validateCidr(42 as unknown as string, {}, "targets"), "targets", /IPv4/);
  });

  test("prefixes wider than /16 are rejected", () => {
    rejects(() => validateCidr("10.0.0.0/15"), "subnet", /wider than \/16/);
    rejects(() => validateCidr("10.0.0.0/8", { allowAllRanges: true }), "subnet", /wider than \/16/);
    expect(validateCidr("10.20.0.0/16").prefix).toBe(16);
  });

  test("public ranges only when allowed; loopback, multicast and reserved never", () => {
    rejects(() => validateCidr("8.8.8.0/24"), "subnet", /not a private range/);
    rejects(() => validateCidr("172.32.0.0/24"), "subnet", /not a private range/);
    rejects(() => validateCidr("100.128.0.0/24"), "subnet", /not a private range/);
    expect(validateCidr("8.8.8.0/24", { allowAllRanges: true }).text).toBe("8.8.8.0/24");
    for (const never of ["127.0.0.0/24", "224.0.0.0/24", "239.1.1.0/24", "255.255.255.255", "0.0.0.0/24"]) {
      rejects(() => validateCidr(never, { allowAllRanges: true }), "subnet", /cannot be swept/);
    }
  });

  test("lists: comma-separated or arrays; empty is an error", () => {
    expect(validateCidrs("10.0.0.0/24,10.0.1.0/24").map((c) => c.text)).toEqual(["10.0.0.0/24", "10.0.1.0/24"]);
    rejects(() => validateCidrs([]), "subnet", /at least one/);
  });
});

describe("expansion and exclusions", () => {
  const ips = (list: number[]) => list.map(formatIpv4);

  test("network and broadcast are skipped; /31 and /32 keep every address", () => {
    expect(ips(expandTargets([parseCidr("10.0.0.0/30")]))).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(ips(expandTargets([parseCidr("10.0.0.0/31")]))).toEqual(["10.0.0.0", "10.0.0.1"]);
    expect(ips(expandTargets([parseCidr("10.0.0.9/32")]))).toEqual(["10.0.0.9"]);
    expect(expandTargets([parseCidr("10.0.0.0/24")])).toHaveLength(254);
    expect(expandTargets([parseCidr("10.9.0.0/16")])).toHaveLength(65534);
  });

  test("overlapping CIDRs are de-duplicated and sorted", () => {
    expect(ips(expandTargets([parseCidr("10.0.0.4/30"), parseCidr("10.0.0.0/29")]))).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]);
  });

  test("exclusions: IPs, CIDRs and MACs (any case, ':' or '-')", () => {
    const ex = parseExclusions(["10.0.0.3", "10.0.0.8/30", "AA-BB-CC-DD-EE-FF"]);
    expect(ips(expandTargets([parseCidr("10.0.0.0/28")], ex))).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.12", "10.0.0.13", "10.0.0.14"]);
    expect(isExcludedMac("aa:bb:cc:dd:ee:ff", ex)).toBe(true);
    expect(isExcludedMac("aa:bb:cc:dd:ee:00", ex)).toBe(false);
    expect(isExcludedMac(null, ex)).toBe(false);
    rejects(() => parseExclusions(["10.0.0.1", "not-an-address"]), "exclude", /IPv4/);
  });

  test("an exclusion's error names MACs as allowed, since they are; a subnet's does not", () => {
    for (const bad of ["not-an-address", "aa:bb:cc:dd:ee", "10.0.0.256", "10.0.0.1 "]) {
      rejects(() => parseExclusions([bad]), "exclude", /IPv4 address, CIDR or MAC address/);
    }
    rejects(() => parseExclusions(["nonsense"]), "exclude", /aa:bb:cc:dd:ee:ff/);
    rejects(() => validateCidr("aa:bb:cc:dd:ee:ff"), "subnet", /is not an IPv4 address or CIDR \(/);
  });
});

describe("neighbour table", () => {
  test("only resolved entries with a real MAC", () => {
    const text = [
      "IP address       HW type     Flags       HW address            Mask     Device",
      "10.231.0.10      0x1         0x2         02:a7:01:00:00:01     *        eth0",
      "10.231.0.11      0x1         0x0         00:00:00:00:00:00     *        eth0",
      "10.231.0.12      0x1         0x6         02:A7:01:00:00:03     *        eth0",
      "garbage line",
      "10.231.0.300     0x1         0x2         02:a7:01:00:00:04     *        eth0",
    ].join("\n");
    expect(parseProcNetArp(text).map((n) => [n.ip, n.mac, n.iface])).toEqual([
      ["10.231.0.10", "02:a7:01:00:00:01", "eth0"],
      ["10.231.0.12", "02:a7:01:00:00:03", "eth0"],
    ]);
  });
});

describe("planning: ARP where attached, ICMP elsewhere", () => {
  const iface = (name: string, ip: string, prefix: number): NetInterface => {
    const ipNum = parseIpv4(ip) as number;
    const network = (ipNum & (0xffffffff << (32 - prefix))) >>> 0;
    return { name, ip, ipNum, prefix, mac: "02:00:00:00:00:01", subnet: `${formatIpv4(network)}/${prefix}`, network };
  };
  const ifaces = [iface("eth0", "10.231.0.1", 24), iface("eth0", "10.240.0.1", 16), iface("wg0", "10.9.0.1", 32)];
  const n = (s: string) => parseIpv4(s) as number;

  test("attached subnets go to ARP on their interface, the rest to ICMP", () => {
    const plan = planSweep([n("10.231.0.5"), n("10.240.3.3"), n("10.232.0.7"), n("10.9.0.2")], ifaces);
    expect(plan.map((g) => [g.iface?.ip ?? null, g.arp.map(formatIpv4), g.icmp.map(formatIpv4)])).toEqual([
      ["10.231.0.1", ["10.231.0.5"], ["10.232.0.7", "10.9.0.2"]],
      ["10.240.0.1", ["10.240.3.3"], []],
    ]);
  });

  test("--iface restricts ARP to that interface", () => {
    const plan = planSweep([n("10.231.0.5")], ifaces, "wg0");
    expect(plan).toEqual([{ iface: null, arp: [], icmp: [n("10.231.0.5")] }]);
  });

  test("own addresses are not swept; longest prefix wins", () => {
    expect(withoutOwnAddresses([n("10.231.0.1"), n("10.231.0.2")], ifaces).map(formatIpv4)).toEqual(["10.231.0.2"]);
    const nested = [iface("a", "10.0.0.1", 16), iface("b", "10.0.5.1", 24)];
    expect(attachedInterface(n("10.0.5.9"), nested)?.name).toBe("b");
    expect(attachedInterface(n("10.0.6.9"), nested)?.name).toBe("a");
  });

  test("an interface without an Ethernet address (tun, WireGuard /24) is pinged across, never ARPed", () => {
    const tun = { ...iface("tun0", "10.9.5.1", 24), mac: "00:00:00:00:00:00" };
    expect(attachedInterface(n("10.9.5.7"), [tun])).toBeUndefined();
    const plan = planSweep([n("10.9.5.7")], [tun]);
    expect(plan.map((g) => [g.iface?.name ?? null, g.arp.map(formatIpv4), g.icmp.map(formatIpv4)])).toEqual([[null, [], ["10.9.5.7"]]]);
  });

  test("proposed subnets: private attached ones, wide ones narrowed to our /24", () => {
    expect(proposeSubnets([iface("eth0", "192.168.1.20", 24), iface("eth1", "10.5.6.7", 8), iface("eth2", "8.8.8.8", 24)])).toEqual(["192.168.1.0/24", "10.5.6.0/24"]);
  });
});

describe("argus sweep arguments", () => {
  test("parses options", () => {
    expect(parseArgs(["10.0.0.0/24", "--iface", "eth0", "--rate=300", "--json", "--exclude", "10.0.0.1,aa:bb:cc:dd:ee:ff"])).toMatchObject({
      targets: ["10.0.0.0/24"],
      iface: "eth0",
      rate: 300,
      json: true,
      exclude: ["10.0.0.1", "aa:bb:cc:dd:ee:ff"],
    });
    expect(parseArgs(["10.0.0.0/24", "--linger", "1500", "--timeout", "3000", "--retries", "2"])).toMatchObject({ lingerMs: 1500, timeoutMs: 3000, retries: 2 });
    expect(parseArgs(["--help"])).toBe("help");
  });

  test("bad arguments are usage errors", () => {
    for (const bad of [[], ["10.0.0.0/24", "--rate", "fast"], ["10.0.0.0/24", "--rate", "0"], ["10.0.0.0/24", "--iface", "eth0;reboot"], ["10.0.0.0/24", "--bogus"]]) {
      expect(() => parseArgs(bad)).toThrow();
    }
  });

  // Only invalid targets here: a valid one would send packets from this
  // machine's own namespace. Validation happens before any socket exists.
  test("invalid targets exit 2 with the field and reason, before any traffic", async () => {
    const main = resolve(import.meta.dir, "../../src/main.ts");
    for (const [target, reason] of [
      ["8.8.8.0/24", "not a private range"],
      ["10.0.0.0/8", "wider than /16"],
      ["10.0.0.0/24;id", "invalid prefix length"],
      ["$(id)", "not an IPv4 address"],
    ]) {
      const p = Bun.spawn([process.execPath, main, "sweep", target, "--json"], { stdout: "pipe", stderr: "pipe" });
      const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
      expect({ target, code, out }).toEqual({ target, code: 2, out: "" });
      expect(err).toContain(`subnet: `);
      expect(err).toContain(reason);
    }
  });
});

describe("neighbour merge after a raw sweep", () => {
  const n = (s: string) => parseIpv4(s) as number;
  const neigh = (ip: string, mac: string) => ({ ip, ipNum: n(ip), mac, iface: "eth1" });

  test("pinged targets get MACs and silent resolved ones are added; ARP-swept targets are not touched", () => {
    const results = [
      { ip: "10.1.0.5", mac: null, rtt_ms: 1, method: "icmp" as const, attempt: 1, flags: [], iface: null },
      { ip: "10.0.0.5", mac: "02:00:00:00:00:05", rtt_ms: 1, method: "arp" as const, attempt: 1, flags: [], iface: "eth0" },
    ];
    const groups = [{ iface: null, arp: [n("10.0.0.5"), n("10.0.0.6")], icmp: [n("10.1.0.5"), n("10.1.0.6"), n("10.1.0.7")] }];
    mergeNeighbours(results, groups, [neigh("10.1.0.5", "02:00:00:00:01:05"), neigh("10.1.0.6", "02:00:00:00:01:06"), neigh("10.0.0.6", "02:00:00:00:00:06"), neigh("10.9.9.9", "02:00:00:00:09:09")]);
    expect(results.map((r) => [r.ip, r.mac, r.method])).toEqual([
      ["10.1.0.5", "02:00:00:00:01:05", "icmp"],
      ["10.0.0.5", "02:00:00:00:00:05", "arp"],
      ["10.1.0.6", "02:00:00:00:01:06", "neigh"],
    ]);
  });
});
