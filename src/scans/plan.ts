// What a scan request means, decided in one place: the API, `argus scan` and the scheduler hand
// the request and the configuration to planScan() and get back the parsed targets, the
// exclusions and the resolved profile. Discovery, the sweep and the scan manager take the plan
// and parse nothing again.
import type { AppConfig } from "../config/app-config.ts";
import { parseTargets, TargetError, type SweepTargets } from "../net/targets.ts";
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
export function planScan(request: ScanRequest, config: AppConfig): ScanPlan {
  const profile = resolveProfile(request.profile ?? DEFAULT_PROFILE[request.kind], { port_range: config.port_range, custom: config.profiles });
  const policy = { allowAllRanges: config.allow_public_ranges };
  let targets: SweepTargets;
  if (request.kind === "device") {
    targets = parseTargets([request.ip], config.exclude, policy, "ip");
    if (targets.cidrs[0].prefix !== 32) throw new TargetError("ip", "must be a single IPv4 address, not a subnet");
  } else if (request.subnet === undefined) {
    if (config.subnets.length === 0) throw new NoSubnetError();
    targets = parseTargets(config.subnets, config.exclude, policy, "subnets");
  } else {
    targets = parseTargets(request.subnet, config.exclude, policy, "subnet");
  }
  return { kind: request.kind, profile, targets, subnet: targets.cidrs.map((c) => c.text).join(",") };
}
