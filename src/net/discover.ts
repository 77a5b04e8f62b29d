// Discovery as the product does it: a raw sweep when permitted, otherwise
// the degraded fallback, with one clear notice saying what is missing.
import { degradedNotice, RawSocketPermissionError } from "./errors.ts";
import { degradedSweep, pingSocketsAllowed } from "./fallback.ts";
import { listInterfaces } from "./interfaces.ts";
import { isExcludedMac } from "./targets.ts";
import { planSweep, sweep, withoutOwnAddresses, type SweepOptions, type SweepResult } from "./sweep.ts";
import { sweep6, type Ip6Answer } from "./sweep6.ts";

export interface DiscoverOptions extends SweepOptions {
  /** Throw RawSocketPermissionError instead of degrading. */
  strict?: boolean;
  /** Called once when discovery degrades, with the notice to show. */
  onDegraded?: (notice: string) => void;
  /** IPv6 addresses already known on the LAN, newest first: each is asked for by a neighbour solicitation. */
  known6?: readonly string[];
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
    return { results, targets: addresses.length, degraded: false, notice: null, ip6: (six?.answers ?? []).filter((a) => !isExcludedMac(a.mac, opts.targets.exclusions)) };
  } catch (e) {
    await v6?.catch(() => null);
    if (!(e instanceof RawSocketPermissionError) || opts.strict) throw e;
  }
  // Said before the (slower) fallback runs, so the user knows why.
  const notice = degradedNotice(pingSocketsAllowed());
  opts.onDegraded?.(notice);
  const fallback = await degradedSweep(addresses, ifaces, opts);
  return { results: fallback.results.filter((r) => !isExcludedMac(r.mac, opts.targets.exclusions)), targets: addresses.length, degraded: true, notice, ip6: [] };
}
