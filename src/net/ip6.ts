// IPv6 addresses as Argus shows and stores them: RFC 5952 text, and the scope an owner cares about.
// Pure functions; the bytes come from the wire (native/sighting.c NDP fields).

export type Ip6Scope = "global" | "ula" | "link";

/** RFC 5952 text of 16 bytes at b[off]: lower case, the longest run (two or more) of zero groups as "::". */
export function formatIp6(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** True when the 16 bytes at b[off] are all zero (::, "no address" in a sighting). */
export function isUnspecified6(b: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 16; i++) if (b[off + i] !== 0) return false;
  return true;
}

/**
 * fe80::/10 link-local, fc00::/7 unique local, 2000::/3 global unicast; anything else (multicast,
 * loopback, documentation-free reserved space) is no host address we record: null.
 */
export function ip6Scope(address: string): Ip6Scope | null {
  const first = address.split(":")[0];
  if (first === "" || !/^[0-9a-f]{1,4}$/i.test(first)) return null;
  const v = Number.parseInt(first, 16);
  if ((v & 0xffc0) === 0xfe80) return "link";
  if ((v & 0xfe00) === 0xfc00) return "ula";
  if ((v & 0xe000) === 0x2000) return "global";
  return null;
}

/**
 * The 16 bytes of an IPv6 address in text ("fe80::1", "fd00:51::a", a zone "%eth0" ignored), or
 * null for anything else (an embedded IPv4 tail included: no address Argus records is written so).
 */
export function parseIp6(text: string): Uint8Array | null {
  const s = text.split("%")[0].toLowerCase();
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const part = (x: string) => (x === "" ? [] : x.split(":"));
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-f]{1,4}$/.test(groups[i])) return null;
    const v = Number.parseInt(groups[i], 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  }
  return out;
}
