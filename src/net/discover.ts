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
import { compareIp, sweep, withoutOwnAddresses, type SweepOptions, type SweepResult } from "./sweep.ts";

export interface DiscoverOptions extends SweepOptions {
  /** Throw RawSocketPermissionError instead of degrading. */
  strict?: boolean;
  /** Called once when discovery degrades, with the notice to show. */
  onDegraded?: (notice: string) => void;
  /** Connect to these TCP ports on routed addresses that ignored echo (routed.ts TCP_DISCOVERY_PORTS); none when absent. */
  tcpPorts?: readonly number[];
}

export interface DiscoverOutcome {
  results: SweepResult[];
  /** Number of addresses covered after exclusions. */
  targets: number;
  degraded: boolean;
  notice: string | null;
}

export async function discover(opts: DiscoverOptions): Promise<DiscoverOutcome> {
  // Listed once: the raw sweep and the fallback must agree on which addresses are our own.
  const ifaces = listInterfaces();
  const addresses = withoutOwnAddresses(opts.targets.addresses, ifaces);
  let found: SweepResult[] | null = null;
  try {
    found = await sweep(opts, ifaces);
  } catch (e) {
    if (!(e instanceof RawSocketPermissionError) || opts.strict) throw e;
  }
  if (found) return { results: await withRouted(found, addresses, ifaces, opts), targets: addresses.length, degraded: false, notice: null };
  // Said before the (slower) fallback runs, so the user knows why.
  const notice = degradedNotice(pingSocketsAllowed());
  opts.onDegraded?.(notice);
  const fallback = await degradedSweep(addresses, ifaces, opts);
  const results = fallback.results.filter((r) => !isExcludedMac(r.mac, opts.targets.exclusions));
  return { results: await withRouted(results, addresses, ifaces, opts), targets: addresses.length, degraded: true, notice };
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
