// Discovery as the product does it: a raw sweep when permitted, otherwise
// the degraded fallback, with one clear notice saying what is missing.
import { degradedNotice, RawSocketPermissionError } from "./errors.ts";
import { degradedSweep, pingSocketsAllowed } from "./fallback.ts";
import { listInterfaces } from "./interfaces.ts";
import { isExcludedMac } from "./targets.ts";
import { sweep, withoutOwnAddresses, type SweepOptions, type SweepResult } from "./sweep.ts";

export interface DiscoverOptions extends SweepOptions {
  /** Throw RawSocketPermissionError instead of degrading. */
  strict?: boolean;
  /** Called once when discovery degrades, with the notice to show. */
  onDegraded?: (notice: string) => void;
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
  try {
    return { results: await sweep(opts, ifaces), targets: addresses.length, degraded: false, notice: null };
  } catch (e) {
    if (!(e instanceof RawSocketPermissionError) || opts.strict) throw e;
  }
  // Said before the (slower) fallback runs, so the user knows why.
  const notice = degradedNotice(pingSocketsAllowed());
  opts.onDegraded?.(notice);
  const fallback = await degradedSweep(addresses, ifaces, opts);
  return { results: fallback.results.filter((r) => !isExcludedMac(r.mac, opts.targets.exclusions)), targets: addresses.length, degraded: true, notice };
}
