// Sweep targets: validation of the CIDRs a user asks for (SPEC section 3) and
// their expansion into host addresses. Plain functions; a TargetError names
// the field and the reason so the API can answer 422 with them.
import { formatIpv4, inSubnet, normalizeMac, parseIpv4, prefixMask } from "./ip.ts";

export class TargetError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = "TargetError";
  }
}

export interface Cidr {
  network: number; // host bits cleared
  prefix: number;
  text: string; // canonical "a.b.c.d/n"
}

/** The widest subnet one sweep may cover (SPEC: nothing wider than /16). */
export const WIDEST_PREFIX = 16;

/** Ranges swept without explicit permission: RFC 1918, RFC 6598 shared
 * address space (carrier-grade NAT) and RFC 3927 link-local, which cannot be
 * routed off the link anyway. */
export const PRIVATE_RANGES: readonly Cidr[] = [
  cidrOf("10.0.0.0", 8),
  cidrOf("172.16.0.0", 12),
  cidrOf("192.168.0.0", 16),
  cidrOf("100.64.0.0", 10),
  cidrOf("169.254.0.0", 16),
];

/** Never swept, permission or not: no hosts to find there. */
const NEVER: readonly { range: Cidr; what: string }[] = [
  { range: cidrOf("0.0.0.0", 8), what: "the 'this network' block 0.0.0.0/8" },
  { range: cidrOf("127.0.0.0", 8), what: "loopback" },
  { range: cidrOf("224.0.0.0", 4), what: "multicast" },
  { range: cidrOf("240.0.0.0", 4), what: "reserved (240.0.0.0/4) or broadcast" },
];

function cidrOf(ip: string, prefix: number): Cidr {
  const network = ((parseIpv4(ip) ?? 0) & prefixMask(prefix)) >>> 0;
  return { network, prefix, text: `${formatIpv4(network)}/${prefix}` };
}

const PREFIX = /^(0|[1-9][0-9]?)$/;

/** What a field accepts, as its errors name it: an exclusion may also be a MAC, a subnet may not. */
type EntryKind = { what: string; example: string };
const CIDR_ENTRY: EntryKind = { what: "an IPv4 address or CIDR", example: "192.168.1.0/24" };
const EXCLUSION_ENTRY: EntryKind = { what: "an IPv4 address, CIDR or MAC address", example: "192.168.1.20, 192.168.1.0/28 or aa:bb:cc:dd:ee:ff" };

/** Parse "a.b.c.d/n" or a bare address (= /32). Host bits are cleared:
 * "10.0.0.7/24" means 10.0.0.0/24, as `ip route` reads it. */
export function parseCidr(text: unknown, field = "subnet", kind: EntryKind = CIDR_ENTRY): Cidr {
  const { what, example } = kind;
  if (typeof text !== "string" || text.trim() === "") throw new TargetError(field, `must be ${what} like ${example}`);
  // Strict: what was sent is what is checked. A padded value or a newline is refused, not
  // trimmed, so that a pasted or templated value with stray bytes is noticed where it came from.
  if (/\s/.test(text)) throw new TargetError(field, `${JSON.stringify(text.slice(0, 40))} is not ${what}: it contains whitespace (a space, tab or newline)`);
  const t = text;
  if (t.length > 18) throw new TargetError(field, `'${t.slice(0, 40)}' is not ${what}`);
  const [addr, len, ...rest] = t.split("/");
  const ip = parseIpv4(addr);
  if (ip === null || rest.length > 0) throw new TargetError(field, `'${t}' is not ${what} (expected e.g. ${example})`);
  let prefix = 32;
  if (len !== undefined) {
    if (!PREFIX.test(len) || Number(len) > 32) throw new TargetError(field, `'${t}' has an invalid prefix length (0-32)`);
    prefix = Number(len);
  }
  const network = (ip & prefixMask(prefix)) >>> 0;
  return { network, prefix, text: `${formatIpv4(network)}/${prefix}` };
}

function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && inSubnet(inner.network, outer.network, outer.prefix);
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

export function isPrivateCidr(c: Cidr): boolean {
  return PRIVATE_RANGES.some((r) => contains(r, c));
}

export interface TargetPolicy {
  /** Config switch: allow public (non-private, non-CGNAT) ranges. */
  allowAllRanges?: boolean;
}

/** Validate one CIDR against SPEC section 3: syntax, not wider than /16,
 * private unless allowed, never loopback/multicast/reserved. */
export function validateCidr(text: unknown, policy: TargetPolicy = {}, field = "subnet"): Cidr {
  const c = parseCidr(text, field);
  if (c.prefix < WIDEST_PREFIX) throw new TargetError(field, `${c.text} is wider than /${WIDEST_PREFIX}; split it into /${WIDEST_PREFIX} or narrower subnets`);
  for (const n of NEVER) if (overlaps(n.range, c)) throw new TargetError(field, `${c.text} is ${n.what} and cannot be swept`);
  if (!policy.allowAllRanges && !isPrivateCidr(c)) {
    throw new TargetError(field, `${c.text} is not a private range (10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16); public ranges must be allowed in the config first`);
  }
  return c;
}

export function validateCidrs(list: unknown, policy: TargetPolicy = {}, field = "subnet"): Cidr[] {
  const items = typeof list === "string" ? list.split(",") : list;
  if (!Array.isArray(items) || items.length === 0) throw new TargetError(field, "at least one IPv4 CIDR is required");
  return items.map((t) => validateCidr(t, policy, field));
}

export interface Exclusions {
  ranges: Cidr[];
  macs: Set<string>;
}

/** Parse an exclusion list: IPv4 addresses, CIDRs (any size) and MACs. */
export function parseExclusions(list: unknown, field = "exclude"): Exclusions {
  const out: Exclusions = { ranges: [], macs: new Set() };
  if (list === undefined || list === null) return out;
  const items = typeof list === "string" ? list.split(",").filter((s) => s.trim() !== "") : list;
  if (!Array.isArray(items)) throw new TargetError(field, "must be a list of IPv4 addresses, CIDRs or MAC addresses");
  for (const item of items) {
    if (typeof item !== "string") throw new TargetError(field, "entries must be strings");
    const mac = normalizeMac(item);
    if (mac) out.macs.add(mac);
    else out.ranges.push(parseCidr(item, field, EXCLUSION_ENTRY));
  }
  return out;
}

export function isExcludedIp(ip: number, ex: Exclusions): boolean {
  return ex.ranges.some((r) => inSubnet(ip, r.network, r.prefix));
}

export function isExcludedMac(mac: string | null, ex: Exclusions): boolean {
  return mac !== null && ex.macs.has(mac.toLowerCase());
}

/** Upper bound on one sweep's size: four /16s. */
export const MAX_TARGETS = 4 * 65536;

/** Host addresses of the CIDRs, ascending, de-duplicated, minus exclusions.
 * Network and broadcast addresses are skipped for /30 and wider; /31 (RFC
 * 3021) and /32 keep every address. */
export function expandTargets(cidrs: Cidr[], ex: Exclusions = { ranges: [], macs: new Set() }, field = "subnet"): number[] {
  const seen = new Set<number>();
  for (const c of cidrs) {
    const size = 2 ** (32 - c.prefix);
    const first = c.prefix >= 31 ? c.network : c.network + 1;
    const last = c.prefix >= 31 ? c.network + size - 1 : c.network + size - 2;
    if (seen.size + (last - first + 1) > MAX_TARGETS) throw new TargetError(field, `more than ${MAX_TARGETS} addresses in one sweep`);
    for (let ip = first; ip <= last; ip++) if (!isExcludedIp(ip, ex)) seen.add(ip >>> 0);
  }
  return [...seen].sort((a, b) => a - b);
}

/** A sweep's targets, parsed once: the CIDRs asked for, the exclusions, and the host addresses
 * they leave (ascending). Everything downstream (discovery, sweep, the scan's record of what it
 * covered) takes this and parses nothing again. */
export interface SweepTargets {
  cidrs: Cidr[];
  exclusions: Exclusions;
  addresses: number[];
}

/** Validates targets (comma-separated text or a list) and exclusions and expands them. */
export function parseTargets(targets: unknown, exclude: unknown, policy: TargetPolicy = {}, field = "subnet"): SweepTargets {
  const cidrs = validateCidrs(targets, policy, field);
  const exclusions = parseExclusions(exclude, "exclude");
  return { cidrs, exclusions, addresses: expandTargets(cidrs, exclusions, field) };
}

/** Did a sweep of `t` look for this host? Excluded addresses were never probed and excluded
 * MACs never reported, so not seeing them proves nothing. */
export function coversHost(t: SweepTargets, ip: number, mac: string | null): boolean {
  return t.cidrs.some((c) => inSubnet(ip, c.network, c.prefix)) && !isExcludedIp(ip, t.exclusions) && !isExcludedMac(mac, t.exclusions);
}

/** A host inside the targets' subnets that the exclusions leave out (by its address or its MAC). */
export function excludesHost(t: SweepTargets, ip: number, mac: string | null): boolean {
  return t.cidrs.some((c) => inSubnet(ip, c.network, c.prefix)) && (isExcludedIp(ip, t.exclusions) || isExcludedMac(mac, t.exclusions));
}
