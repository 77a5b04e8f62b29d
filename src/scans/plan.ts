// What a scan request means, decided in one place: the API, `argus scan` and the scheduler hand
// the request and the configuration to planScan() and get back the parsed targets, the
// exclusions and the resolved profile. The configuration's subnets, exclusions and profiles come
// parsed from its resolved view (config/resolved.ts); only the request itself is parsed here.
// Discovery, the sweep and the scan manager take the plan and parse nothing again.
import type { AppConfig } from "../config/app-config.ts";
import { resolvedView, type ResolvedConfig } from "../config/resolved.ts";
import { expandTargets, TargetError, validateCidrs, type Cidr, type SweepTargets } from "../net/targets.ts";
import { resolveProfile, type ScanProfile } from "../portscan/profiles.ts";
import type { ScanKind } from "./enums.ts";

export type ScanRequest =
  /** `subnet`: comma-separated CIDRs; none means the subnets an admin confirmed. */
  | { kind: "network"; subnet?: string; profile?: string }
  /** One host, by its IPv4 address. */
  | { kind: "device"; ip: string; profile?: string };

export type ScanPlan = {
  kind: ScanKind;
  profile: ScanProfile;
  targets: SweepTargets;
  /** The targets as recorded on the scan and shown to users: canonical CIDRs, comma-separated. */
  subnet: string;
};

/** The SPEC's defaults: a network scan is a quick sweep, a device scan looks at its ports too. */
export const DEFAULT_PROFILE: Record<ScanKind, string> = { network: "quick", device: "normal" };

/** A network scan without a subnet while none is confirmed: nothing may be scanned (consent). */
export class NoSubnetError extends Error {
  constructor() {
    super("No subnet confirmed yet");
  }
}

/**
 * Throws TargetError (field "subnet" or "ip") or ProfileError for invalid input, and NoSubnetError
 * for a network scan without a subnet when none is confirmed.
 */
export function planScan(request: ScanRequest, configuration: ResolvedConfig | AppConfig): ScanPlan {
  const resolved = "exclusions" in configuration ? configuration : resolvedView(configuration);
  const { config, exclusions } = resolved;
  const name = request.profile ?? DEFAULT_PROFILE[request.kind];
  // An unknown name: resolveProfile says so, naming the known ones.
  const profile = resolved.profiles.get(name) ?? resolveProfile(name, { port_range: config.port_range, custom: config.profiles });
  const policy = { allowAllRanges: config.allow_public_ranges };
  const targetsOf = (cidrs: Cidr[], field: string): SweepTargets => ({ cidrs, exclusions, addresses: expandTargets(cidrs, exclusions, field) });
  let targets: SweepTargets;
  if (request.kind === "device") {
    targets = targetsOf(validateCidrs([request.ip], policy, "ip"), "ip");
    if (targets.cidrs[0].prefix !== 32) throw new TargetError("ip", "must be a single IPv4 address, not a subnet");
  } else if (request.subnet === undefined) {
    if (resolved.subnets.length === 0) throw new NoSubnetError();
    targets = targetsOf(resolved.subnets, "subnets");
  } else {
    targets = targetsOf(validateCidrs(request.subnet, policy, "subnet"), "subnet");
  }
  return { kind: request.kind, profile, targets, subnet: targets.cidrs.map((c) => c.text).join(",") };
}

/**
 * The targets no address of which this machine can reach (`route` asks the kernel, net/route-check.ts):
 * each subnet is judged by its first host address. Unknown answers (null) count as reachable.
 */
export function unreachableTargets(cidrs: readonly Cidr[], route: (ip: number) => boolean | null): Cidr[] {
  return cidrs.filter((c) => route(c.prefix >= 31 ? c.network : (c.network + 1) >>> 0) === false);
}

/** Why a scan of `cidrs` cannot run: words for the owner, naming each subnet. */
export function noRouteReason(cidrs: readonly Cidr[]): string {
  const list = cidrs.map((c) => c.text).join(", ");
  return `no route to ${list} from this appliance: ${cidrs.length === 1 ? "it is" : "they are"} on none of its networks and no router leads there, so nothing could be scanned (check the address, or the routing of this machine)`;
}

