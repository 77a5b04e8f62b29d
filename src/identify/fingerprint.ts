// Stable keys for recognising one device across MAC addresses (phones and laptops rotate randomised MACs):
//
//   hostnameKey(name: string | null | undefined): string | null
//       "Annas-iPhone.local", "annas-iphone.home.lan." → "annas-iphone"; generic names → null
//   serviceFingerprint(ports: FingerprintPort[]): string | null
//       "tcp/22:ssh:OpenSSH:9.6p1|tcp/62078:iphone-sync::" style digest of what a device serves; null when it
//       serves nothing distinctive (no open ports, or only ports every device of its kind has)
//
// The inventory links a new randomised MAC to a known device when one of these keys matches (SPEC §4,
// change "mac_rotated"). Keys must be specific enough not to merge two devices: a hostname key drops only
// the domain part, and names that many devices share ("localhost", "android", "iphone", "espressif") give
// null instead of a key. Versions are part of the service fingerprint on purpose: two identical phones
// differ in little else, and an update that changes a version also changes the key (a rotation is then
// reported as a new device once, never two devices merged).
import { createHash } from "node:crypto";

export type FingerprintPort = { port: number; protocol?: "tcp" | "udp"; service?: string | null; product?: string | null; version?: string | null };

// Names devices use out of the box: many devices answer with them, so they identify nothing.
const GENERIC = new Set([
  "localhost", "android", "iphone", "ipad", "macbook", "espressif", "esp32", "esp8266", "raspberrypi", "ubuntu",
  "debian", "openwrt", "router", "unknown", "host", "device", "galaxy", "desktop", "laptop", "pc", "client", "dhcp",
]);

export function hostnameKey(name: string | null | undefined): string | null {
  if (!name) return null;
  const first = name.trim().replace(/\.$/, "").split(".")[0].toLowerCase();
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(first)) return null;
  if (GENERIC.has(first)) return null;
  // DHCP-derived names that only encode the address ("192-168-1-23", "ip-10-0-0-5", "host-23") change with it.
  if (/^(ip-|host-|dhcp-)?\d{1,3}([-_]\d{1,3}){0,3}$/.test(first)) return null;
  return first;
}

// Ports so common on one kind of device that they tell two such devices apart no better than nothing.
const UBIQUITOUS = new Set([53, 80, 443]);

export function serviceFingerprint(ports: FingerprintPort[]): string | null {
  const items = ports
    .filter((p) => !UBIQUITOUS.has(p.port) || p.product)
    .map((p) => `${p.protocol ?? "tcp"}/${p.port}:${p.service ?? ""}:${p.product ?? ""}:${p.version ?? ""}`)
    .sort();
  if (items.length === 0) return null;
  return createHash("sha256").update([...new Set(items)].join("|")).digest("hex").slice(0, 32);
}
