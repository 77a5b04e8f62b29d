// Subnets a source shows that the owner has not confirmed (issue 20): the /24 of every private IPv4
// address a source reported outside the confirmed subnets, most hosts first. A router's ARP table over
// SNMP is where routed VLANs show up first. They are offered as suggestions (GET /api/network/detect,
// Settings → Networks), labelled with the source; only the owner confirms a subnet, never a source.
import { formatIpv4, inSubnet, parseIpv4 } from "../net/ip.ts";

/** Suggestions one source keeps at most: a router with more VLANs than this is named by its biggest. */
export const MAX_SUGGESTED = 32;

/** RFC 1918 only: a router's upstream neighbour (the ISP's gateway) is not a subnet to watch. */
function isPrivate(ip: number): boolean {
  return inSubnet(ip, 0x0a000000, 8) || inSubnet(ip, 0xac100000, 12) || inSubnet(ip, 0xc0a80000, 16);
}

/** The /24s of the reported IPv4 addresses outside `confirmed`, by hosts seen in each, most first. */
export function unconfirmedSubnets(addresses: Iterable<string | null | undefined>, confirmed: readonly { network: number; prefix: number }[]): string[] {
  const tally = new SubnetTally(confirmed);
  for (const a of addresses) tally.add(a);
  return tally.result();
}

/** unconfirmedSubnets an address at a time (a run counts them in its slices). */
export class SubnetTally {
  private readonly hosts = new Map<number, number>();
  constructor(private readonly confirmed: readonly { network: number; prefix: number }[]) {}
  add(a: unknown): void {
    if (typeof a !== "string") return;
    const ip = parseIpv4(a);
    if (ip === null || !isPrivate(ip) || this.confirmed.some((c) => inSubnet(ip, c.network, c.prefix))) return;
    const net = (ip & 0xffffff00) >>> 0;
    this.hosts.set(net, (this.hosts.get(net) ?? 0) + 1);
  }
  result(): string[] {
    return [...this.hosts]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, MAX_SUGGESTED)
      .map(([net]) => `${formatIpv4(net)}/24`);
  }
}
