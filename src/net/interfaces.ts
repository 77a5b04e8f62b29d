// Interface discovery: which IPv4 subnets this host is directly attached to
// (those are swept with ARP) and on which interface.
import { networkInterfaces } from "node:os";
import { formatIpv4, inSubnet, maskToPrefix, parseIpv4, prefixMask } from "./ip.ts";
import { isPrivateCidr, type Cidr, WIDEST_PREFIX } from "./targets.ts";

export interface NetInterface {
  name: string;
  ip: string;
  ipNum: number;
  prefix: number;
  mac: string;
  /** The directly attached subnet, canonical "a.b.c.d/n". */
  subnet: string;
  network: number;
}

const NO_MAC = "00:00:00:00:00:00";

/** IPv4 addresses on non-loopback interfaces (one entry per address). */
export function listInterfaces(): NetInterface[] {
  const out: NetInterface[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== "IPv4" || a.internal) continue;
      const ipNum = parseIpv4(a.address);
      const prefix = a.cidr ? Number(a.cidr.split("/")[1]) : maskToPrefix(a.netmask);
      if (ipNum === null || prefix === null || Number.isNaN(prefix)) continue;
      const network = (ipNum & prefixMask(prefix)) >>> 0;
      out.push({ name, ip: a.address, ipNum, prefix, mac: a.mac.toLowerCase(), subnet: `${formatIpv4(network)}/${prefix}`, network });
    }
  }
  return out;
}

/** The interface address whose subnet contains `ip` (longest prefix wins);
 * restricted to one interface name when given. */
export function attachedInterface(ip: number, ifaces: NetInterface[], name?: string): NetInterface | undefined {
  let best: NetInterface | undefined;
  for (const i of ifaces) {
    if (name && i.name !== name) continue;
    // A /32 or /31 "subnet" (point-to-point) has no neighbours to ARP for, and neither has an
    // interface without an Ethernet address (tun, WireGuard): its neighbours are pinged instead.
    if (i.prefix >= 31 || i.mac === NO_MAC || !inSubnet(ip, i.network, i.prefix)) continue;
    if (!best || i.prefix > best.prefix) best = i;
  }
  return best;
}

/** Subnets to propose for watching (the setup wizard's "detected LAN"):
 * private attached subnets, narrowed to the /24 around our address when the
 * attached one is wider than a sweep may be. Auto-detection only proposes. */
export function proposeSubnets(ifaces: NetInterface[] = listInterfaces()): string[] {
  const out = new Set<string>();
  for (const i of ifaces) {
    if (i.prefix >= 31) continue;
    const c: Cidr = { network: i.network, prefix: i.prefix, text: i.subnet };
    if (!isPrivateCidr(c)) continue;
    if (i.prefix < WIDEST_PREFIX) out.add(`${formatIpv4((i.ipNum & prefixMask(24)) >>> 0)}/24`);
    else out.add(i.subnet);
  }
  return [...out];
}
