// Degraded discovery for a process without CAP_NET_RAW (SPEC section 6):
//  1. ICMP echo through an unprivileged ICMP datagram socket, when
//     net.ipv4.ping_group_range admits our group;
//  2. for attached subnets, a UDP datagram to the discard port of each
//     address: the kernel then resolves the address with ARP itself, and
//     every host that answered shows up in the neighbour table;
//  3. the neighbour table (/proc/net/arp), for MACs and for hosts found in 2.
// Slower and less complete than a raw sweep (hosts behind a router are only
// found by ICMP), but it needs no privilege at all.
import { readFileSync } from "node:fs";
import { type NetInterface } from "./interfaces.ts";
import { Errno } from "./native-loader.ts";
import { NativeSweepError, SweepFlag, udpNudge } from "./native-sweep.ts";
import { readNeighbours } from "./neighbours.ts";
import { compareIp, planSweep, runNativeSweep, type SweepOptions, type SweepResult, SWEEP_DEFAULTS } from "./sweep.ts";

/** The kernel resolves an address with up to 3 ARP requests 1 s apart
 * (mcast_solicit, retrans_time_ms); wait for all of them. */
const KERNEL_ARP_WINDOW_MS = 2300;
/** Neighbour entries one batch may create: well under gc_thresh3 (1024). */
const NUDGE_BATCH = 512;
const DISCARD_PORT = 9;

/** Does net.ipv4.ping_group_range admit this process's group? */
export function pingSocketsAllowed(path = "/proc/sys/net/ipv4/ping_group_range"): boolean {
  try {
    const [lo, hi] = readFileSync(path, "utf8").trim().split(/\s+/).map(Number);
    const gids = [process.getgid?.() ?? 0, ...(process.getgroups?.() ?? [])];
    return gids.some((g) => g >= lo && g <= hi);
  } catch {
    return false;
  }
}

async function nudge(addresses: number[], rate: number, signal?: AbortSignal): Promise<void> {
  const perTick = Math.max(1, Math.round(rate / 100));
  for (let i = 0; i < addresses.length && !signal?.aborted; i += perTick) {
    udpNudge(Uint32Array.from(addresses.slice(i, i + perTick)), DISCARD_PORT);
    await Bun.sleep(10);
  }
}

export interface DegradedOutcome {
  results: SweepResult[];
  icmpDatagram: boolean;
}

export async function degradedSweep(addresses: number[], ifaces: NetInterface[], opts: SweepOptions): Promise<DegradedOutcome> {
  const o = { ...SWEEP_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof SWEEP_DEFAULTS & SweepOptions;
  const wanted = new Set(addresses);
  const found = new Map<string, SweepResult>();

  let icmpDatagram = pingSocketsAllowed();
  if (icmpDatagram && addresses.length) {
    try {
      const echo = await runNativeSweep("", 0, [], addresses, { ...o, flags: SweepFlag.icmpDgram, signal: opts.signal });
      for (const r of echo) found.set(r.ip, r);
    } catch (e) {
      if (!(e instanceof NativeSweepError && (e.errno === Errno.EACCES || e.errno === Errno.EPERM))) throw e;
      icmpDatagram = false;
    }
  }

  const attached = planSweep(addresses, ifaces, opts.iface).flatMap((g) => g.arp);
  for (let i = 0; i < attached.length && !opts.signal?.aborted; i += NUDGE_BATCH) {
    await nudge(attached.slice(i, i + NUDGE_BATCH), o.rate, opts.signal);
    if (!opts.signal?.aborted) await Bun.sleep(KERNEL_ARP_WINDOW_MS);
    collectNeighbours(wanted, found);
  }
  collectNeighbours(wanted, found);
  return { results: [...found.values()].sort((a, b) => compareIp(a.ip, b.ip)), icmpDatagram };
}

function collectNeighbours(wanted: Set<number>, found: Map<string, SweepResult>): void {
  for (const n of readNeighbours()) {
    if (!wanted.has(n.ipNum)) continue;
    const known = found.get(n.ip);
    if (known) {
      if (!known.mac) known.mac = n.mac;
      continue;
    }
    found.set(n.ip, { ip: n.ip, mac: n.mac, rtt_ms: null, method: "neigh", attempt: 0, flags: [], iface: n.iface });
  }
}
