// Interface discovery: which IPv4 subnets this host is directly attached to
// (those are swept with ARP) and on which interface.
import { constants, networkInterfaces } from "node:os";
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

/**
 * The kernel would not give the interface list (or an interface's index) now: the process is out of
 * file descriptors (getifaddrs needs a netlink socket), or out of memory. A passing condition, unlike
 * an interface that is gone: callers keep what they knew and try again.
 */
export class InterfacesUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`the interface list cannot be read now: ${reason}`);
  }
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n as number, name]));
const TRANSIENT = new Set(["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"]);

/** The errno name of a failed system call, whatever shape the runtime reports it in. */
export function errnoName(e: unknown): string | null {
  const err = e as { code?: unknown; errno?: unknown };
  if (typeof err?.code === "string" && /^E[A-Z]+$/.test(err.code)) return err.code;
  if (typeof err?.errno === "number") return ERRNO_NAMES.get(Math.abs(err.errno)) ?? null;
  return null;
}

/** Whether a failed call to the kernel may succeed on a later try (descriptors or memory ran out). */
export const isTransientErrno = (name: string | null) => name !== null && TRANSIENT.has(name);

const REASONS: Record<string, string> = { EMFILE: "too many open files (EMFILE)", ENFILE: "too many open files in the system (ENFILE)", ENOBUFS: "no buffer space (ENOBUFS)", ENOMEM: "out of memory (ENOMEM)" };

/** IPv4 addresses on non-loopback interfaces (one entry per address); InterfacesUnavailable when the kernel cannot say now. */
export function listInterfaces(): NetInterface[] {
  let all: ReturnType<typeof networkInterfaces>;
  try {
    all = networkInterfaces();
  } catch (e) {
    const name = errnoName(e);
    throw new InterfacesUnavailable(name ? (REASONS[name] ?? name) : e instanceof Error ? e.message : String(e));
  }
  const out: NetInterface[] = [];
  for (const [name, addrs] of Object.entries(all)) {
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
