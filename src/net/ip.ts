// IPv4 addresses as unsigned 32-bit numbers (10.0.0.1 === 0x0a000001), the
// form the native core takes, plus strict text parsing: only dotted-quad
// decimal, no leading zeros (inet_aton would read 010 as octal), no host names.

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Parse "a.b.c.d" strictly; null when it is anything else. */
export function parseIpv4(text: string): number | null {
  if (typeof text !== "string" || text.length > 15) return null;
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Does `ip` lie in network/prefix? */
export function inSubnet(ip: number, network: number, prefix: number): boolean {
  const m = prefixMask(prefix);
  return ((ip & m) >>> 0) === ((network & m) >>> 0);
}

/** Prefix length of a dotted netmask (255.255.255.0 -> 24); null if not contiguous. */
export function maskToPrefix(mask: string): number | null {
  const v = parseIpv4(mask);
  if (v === null) return null;
  const inv = ~v >>> 0;
  if ((inv & (inv + 1)) !== 0) return null;
  return 32 - Math.log2(inv + 1);
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Normalise a MAC to lower-case colon form; accepts ':' or '-' separators. */
export function normalizeMac(text: string): string | null {
  if (typeof text !== "string") return null;
  const m = text.trim().toLowerCase().replace(/-/g, ":");
  return MAC.test(m) ? m : null;
}

/** How far an IPv4 address reaches: RFC 1918 private, 169.254/16 link-local, anything else global. */
export function ipv4Scope(text: string): "private" | "link" | "global" {
  const v = parseIpv4(text);
  if (v === null) return "global";
  if (inSubnet(v, 0x0a000000, 8) || inSubnet(v, 0xac100000, 12) || inSubnet(v, 0xc0a80000, 16)) return "private";
  if (inSubnet(v, 0xa9fe0000, 16)) return "link";
  return "global";
}
