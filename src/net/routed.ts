// Discovery on routed subnets: addresses on no subnet of ours (a VLAN behind the router, a site over
// a tunnel). Their ARP never reaches us, so the sweep pings them (sweep.ts planSweep) and, for those
// that stay silent to echo (Windows' default firewall, many printers and phones), this connects to a
// few TCP ports: a completed connect or a refusal (RST) is an answer from the host itself.
//
// Nothing on the wire says which MAC such a host has: a frame from it carries the router's MAC. A
// routed host's MAC comes only from a source that knows it (the router's ARP table over SNMP,
// src/sources/snmp.ts), never from what this machine sees.
import type { NetInterface } from "./interfaces.ts";
import { formatIpv4, inSubnet, parseIpv4 } from "./ip.ts";
import type { SweepResult } from "./sweep.ts";
import { libcConnector } from "../portscan/tcp-libc.ts";
import { scanPorts } from "../portscan/ports.ts";

/** Ports that answer on most hosts that ignore echo: web, SSH, SMB/NetBIOS, RDP, the iPhone sync port. */
export const TCP_DISCOVERY_PORTS: readonly number[] = [80, 443, 22, 445, 139, 3389, 8080, 62078];

/**
 * Silent routed addresses one scan connects to at most (a /20): each costs a connect per port until
 * its timeout, so a silent routed /16 would take minutes. Beyond it, echo alone finds hosts.
 */
export const TCP_DISCOVERY_MAX = 4096;

/** An address in no subnet of any interface of ours: reached through a router, its MAC unseen. */
export function isRouted(ip: number, ifaces: NetInterface[]): boolean {
  return !ifaces.some((i) => inSubnet(ip, i.network, i.prefix));
}

/** The results with the MAC of every routed host removed: what the wire shows there is the router's. */
export function withoutRoutedMacs(results: SweepResult[], ifaces: NetInterface[]): SweepResult[] {
  return results.map((r) => {
    const ip = parseIpv4(r.ip);
    return r.mac !== null && ip !== null && isRouted(ip, ifaces) ? { ...r, mac: null } : r;
  });
}

/** The wait for each connect: a routed host a few hops away answers well within it. */
export const TCP_DISCOVERY_TIMEOUT_MS = 1000;

export type TcpDiscoveryOptions = {
  ports?: readonly number[];
  /** The wait for each connect (no retry: the ports are several already). */
  timeoutMs?: number;
  signal?: AbortSignal;
};

/**
 * The routed addresses among `silent` (those that did not answer echo) that answer a TCP connect;
 * empty when there are more than TCP_DISCOVERY_MAX of them, or where connects cannot tell a host's
 * refusal from a router's ICMP unreachable (no libc connector: node:net reports both as refused).
 */
export async function tcpDiscover(silent: number[], ifaces: NetInterface[], o: TcpDiscoveryOptions): Promise<SweepResult[]> {
  const routed = silent.filter((ip) => isRouted(ip, ifaces));
  if (routed.length === 0 || routed.length > TCP_DISCOVERY_MAX || o.signal?.aborted || libcConnector() === null) return [];
  const scan = await scanPorts(routed.map(formatIpv4), [...(o.ports ?? TCP_DISCOVERY_PORTS)], {
    backend: "libc",
    retries: 0,
    initial_timeout_ms: o.timeoutMs ?? TCP_DISCOVERY_TIMEOUT_MS,
    max_timeout_ms: o.timeoutMs ?? TCP_DISCOVERY_TIMEOUT_MS,
    signal: o.signal,
  });
  return scan.hosts
    .filter((h) => h.open.length > 0 || h.closed_count > 0)
    .map((h) => ({
      ip: h.host,
      mac: null,
      rtt_ms: h.rtt.srtt_ms === null ? null : Math.round(h.rtt.srtt_ms * 100) / 100,
      method: "tcp" as const,
      attempt: 1,
      flags: [],
      iface: null,
    }));
}
