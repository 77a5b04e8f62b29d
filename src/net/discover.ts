// Discovery as the product does it: a raw sweep when permitted, otherwise
// the degraded fallback, with one clear notice saying what is missing. On
// routed subnets (no interface of ours on them) hosts are found by echo and,
// when asked, TCP connects, and keep no MAC: what the wire shows there is the
// router's (routed.ts).
import { degradedNotice, RawSocketPermissionError } from "./errors.ts";
import { degradedSweep, pingSocketsAllowed } from "./fallback.ts";
import { listInterfaces } from "./interfaces.ts";
import { formatIpv4 } from "./ip.ts";
import { tcpDiscover, withoutRoutedMacs } from "./routed.ts";
import { isExcludedMac } from "./targets.ts";
import { compareIp, planSweep, sweep, withoutOwnAddresses, type SweepOptions, type SweepResult } from "./sweep.ts";
import { sweep6, type Ip6Answer } from "./sweep6.ts";

export interface DiscoverOptions extends SweepOptions {
  /** Throw RawSocketPermissionError instead of degrading. */
  strict?: boolean;
  /** Called once when discovery degrades, with the notice to show. */
  onDegraded?: (notice: string) => void;
  /** IPv6 addresses already known on the LAN, newest first: each is asked for by a neighbour solicitation. */
  known6?: readonly string[];
  /** Connect to these TCP ports on routed addresses that ignored echo (routed.ts TCP_DISCOVERY_PORTS); none when absent. */
  tcpPorts?: readonly number[];
}

export interface DiscoverOutcome {
  results: SweepResult[];
  /** Number of addresses covered after exclusions. */
  targets: number;
  degraded: boolean;
  notice: string | null;
  /** IPv6 addresses hosts answered for (all-nodes echo, neighbour solicitations), each with the MAC that sent it. */
  ip6: Ip6Answer[];
}

export async function discover(opts: DiscoverOptions): Promise<DiscoverOutcome> {
  // Listed once: the raw sweep and the fallback must agree on which addresses are our own.
  const ifaces = listInterfaces();
  const addresses = withoutOwnAddresses(opts.targets.addresses, ifaces);
  // IPv6 runs beside the IPv4 sweep, on the interfaces it ARP-sweeps.
  const names = [...new Set(planSweep(addresses, ifaces, opts.iface).flatMap((g) => (g.iface ? [g.iface.name] : [])))];
  const v6 = names.length > 0 ? sweep6({ ifaces: names, known: opts.known6, rate: opts.rate, signal: opts.signal }) : null;
  try {
    const [results, six] = await Promise.all([sweep(opts, ifaces), v6]);
    const ip6 = (six?.answers ?? []).filter((a) => !isExcludedMac(a.mac, opts.targets.exclusions));
    return { results: await withRouted(results, addresses, ifaces, opts), targets: addresses.length, degraded: false, notice: null, ip6 };
  } catch (e) {
    await v6?.catch(() => null);
    if (!(e instanceof RawSocketPermissionError) || opts.strict) throw e;
  }
  // Said before the (slower) fallback runs, so the user knows why.
  const notice = degradedNotice(pingSocketsAllowed());
  opts.onDegraded?.(notice);
  const fallback = await degradedSweep(addresses, ifaces, opts);
  const results = fallback.results.filter((r) => !isExcludedMac(r.mac, opts.targets.exclusions));
  return { results: await withRouted(results, addresses, ifaces, opts), targets: addresses.length, degraded: true, notice, ip6: [] };
}

/** Routed hosts lose any MAC; those that ignored echo are tried by TCP when the caller asks. */
async function withRouted(results: SweepResult[], addresses: number[], ifaces: ReturnType<typeof listInterfaces>, opts: DiscoverOptions): Promise<SweepResult[]> {
  const out = withoutRoutedMacs(results, ifaces);
  if (!opts.tcpPorts || opts.tcpPorts.length === 0 || opts.signal?.aborted) return out;
  const answered = new Set(out.map((r) => r.ip));
  const silent = addresses.filter((a) => !answered.has(formatIpv4(a)));
  const byTcp = await tcpDiscover(silent, ifaces, { ports: opts.tcpPorts, signal: opts.signal });
  for (const r of byTcp) opts.onAnswer?.(r);
  return [...out, ...byTcp].sort((a, b) => compareIp(a.ip, b.ip));
}
