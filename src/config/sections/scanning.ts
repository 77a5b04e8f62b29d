// What to watch and how fast: subnets (the admin's consent), exclusions, port range, custom profiles.
import { Type as t } from "@sinclair/typebox";
import { parseExclusions, TargetError, validateCidrs, type Cidr, type Exclusions } from "../../net/targets.ts";
import { DEFAULT_PORT_RANGE, resolveProfiles, validateCustomProfile, validatePortSpec, type CustomProfile, type ScanProfile } from "../../portscan/profiles.ts";
import { ConfigError } from "../config-error.ts";

export const scanningSection = {
  subnets: t.Array(t.String({ maxLength: 18 }), {
    default: [],
    maxItems: 64,
    description: "Subnets an admin confirmed for watching (IPv4 CIDRs). Empty: nothing is scanned without an explicit subnet (consent).",
    errorMessage: "must be a list of IPv4 CIDRs",
  }),
  exclude: t.Array(t.String({ maxLength: 18 }), { default: [], maxItems: 1024, description: "IPs, CIDRs and MACs never probed or reported", errorMessage: "must be a list of IPs, CIDRs or MACs" }),
  port_range: t.String({ default: DEFAULT_PORT_RANGE, maxLength: 4096, description: 'TCP ports of the normal profile: ports, ranges and port sets, e.g. "home-1000" (the default, 1,000 ports homes run) or "1-1000,8080"', errorMessage: 'must be a port list like "1-1000,8080"' }),
  allow_public_ranges: t.Boolean({ default: false, description: "Explicit opt-in to scan public (non-RFC 1918, non-CGNAT) ranges", errorMessage: "must be true or false" }),
  interface: t.Union([t.Null(), t.String({ pattern: "^[\\w.-]{1,15}$" })], {
    default: null,
    description: "Restrict ARP sweeps to this interface (null: every attached subnet on its own interface)",
    errorMessage: "must be an interface name or null",
  }),
  scan_rate: t.Integer({ default: 5000, minimum: 10, maximum: 100_000, description: "Discovery transmit rate, packets per second", errorMessage: "must be an integer from 10 to 100000 packets per second" }),
  profiles: t.Array(
    t.Object(
      {
        name: t.String({ errorMessage: "must be a profile name" }),
        ports: t.String({ errorMessage: 'must be a port list like "1-1000,8080"' }),
        service_detection: t.Optional(t.Boolean({ errorMessage: "must be true or false" })),
        deep: t.Optional(t.Boolean({ errorMessage: "must be true or false" })),
      },
      { additionalProperties: false },
    ),
    { default: [], maxItems: 64, description: "Custom scan profiles {name, ports, service_detection, deep}", errorMessage: "must be a list of custom profiles" },
  ),
};

export type ScanningConfig = {
  subnets: string[];
  exclude: string[];
  port_range: string;
  allow_public_ranges: boolean;
  interface: string | null;
  scan_rate: number;
  profiles: CustomProfile[];
};

/** The scanning section in the parsed forms its users need (kept in the resolved configuration). */
export type ResolvedScanning = {
  /** The confirmed subnets, canonical. */
  subnets: Cidr[];
  /** `exclude`: the addresses, CIDRs and MACs never probed or reported. */
  exclusions: Exclusions;
  /** `port_range` as a port set (ascending, unique). */
  portRange: number[];
  /** Every profile a scan may name, built-in or custom, with its ports parsed. */
  profiles: Map<string, ScanProfile>;
};

/**
 * What the schema cannot say (CIDRs in allowed ranges, exclusions, port lists, profile names), checked
 * by parsing each once: the parsed forms are the result.
 */
export function resolveScanning(c: ScanningConfig): ResolvedScanning {
  let subnets: Cidr[];
  let exclusions: Exclusions;
  try {
    subnets = c.subnets.length > 0 ? validateCidrs(c.subnets, { allowAllRanges: c.allow_public_ranges }, "subnets") : [];
    exclusions = parseExclusions(c.exclude, "exclude");
  } catch (e) {
    if (e instanceof TargetError) throw new ConfigError(e.field, e.reason);
    throw e;
  }
  const ports = validatePortSpec(c.port_range, "port_range");
  if (!ports.ok) throw new ConfigError(ports.field, ports.reason);
  c.profiles.forEach((p, i) => {
    const v = validateCustomProfile(p, `profiles.${i}`);
    if (!v.ok) throw new ConfigError(v.field, v.reason);
  });
  const names = c.profiles.map((p) => p.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConfigError("profiles", `profile "${twice}" is defined twice`);
  return { subnets, exclusions, portRange: ports.value, profiles: resolveProfiles({ port_range: c.port_range, custom: c.profiles }) };
}
