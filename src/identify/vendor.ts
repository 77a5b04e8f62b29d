// MAC address → vendor name, from the IEEE registry bundled as `oui-data`, and the randomised-MAC flag.
//
//   lookupVendor(mac: string): string | null      organisation name (first line only), or null
//   vendorPrefix(mac: string): string | null      the registry key that matched ("B827EB", "70B3D5123", ...)
//   isRandomizedMac(mac: string): boolean         locally administered bit set (phones' private addresses)
//   macHex(mac: string): string | null            the registry's form of a MAC: "aa:bb:..", "AA-BB-.." → "AABB.."
//   preloadVendors(): void                        load the table now (e.g. at server start)
//
// The registry has three block sizes: MA-L (24-bit prefix, 6 hex digits), MA-M (28-bit, 7) and MA-S / IAB
// (36-bit, 9). A small block is carved out of a large one (e.g. 70:B3:D5 is registered to "IEEE Registration
// Authority" as MA-L, its 36-bit sub-blocks to real vendors), so the longest prefix must be tried first.
//
// `oui-data` lacks the closed IAB registry (36-bit blocks under 00:50:C2 and 40:D8:55); iab.json supplies it
// (regenerate with scripts/iab-import.ts).
//
// The table is ~5.6 MB of JSON; it is parsed on first use so that commands that never look a vendor up do
// not pay for it. Measured on the dev machine (bun 1.4.4, 2 shared cores): first lookup 40 ms (idle) to
// 300 ms (loaded), the same from `bun` and from a `bun build --compile` binary, +30-45 MiB RSS; 10k lookups
// 6-20 ms. A server should call preloadVendors() at start-up, off the request path.
// test/identify/vendor.test.ts prints the figures.
import { normalizeMac } from "../net/ip.ts";

type OuiTable = Record<string, string>;

let tables: OuiTable[] | null = null;

function load(): OuiTable[] {
  if (tables) return tables;
  // A literal require() keeps lookups synchronous and defers parsing to the first lookup, and
  // `bun build --compile` still embeds both JSON files (it does not follow createRequire()).
  const oui = require("oui-data") as OuiTable;
  const iab = require("./iab.json") as OuiTable;
  // IAB keys never collide with oui-data's (it has only the parent MA-L entries): two tables, no merge cost.
  // Keys looked up are always 6-9 hex digits, so inherited Object properties can never match.
  tables = [oui, iab];
  return tables;
}

export function preloadVendors(): void {
  load();
}

/** The registry's key form of a MAC (12 upper-case hex digits), read by the one MAC parser (net/ip.ts). */
export function macHex(mac: string): string | null {
  return normalizeMac(mac)?.replaceAll(":", "").toUpperCase() ?? null;
}

function find(mac: string): { key: string; entry: string } | null {
  const hex = macHex(mac);
  if (!hex) return null;
  const all = load();
  for (const len of [9, 7, 6]) {
    const key = hex.slice(0, len);
    for (const t of all) {
      const entry = t[key];
      if (typeof entry === "string") return { key, entry };
    }
  }
  return null;
}

export function vendorPrefix(mac: string): string | null {
  return find(mac)?.key ?? null;
}

export function lookupVendor(mac: string): string | null {
  const hit = find(mac);
  if (!hit) return null;
  const name = hit.entry.split("\n", 1)[0].trim();
  return name || null;
}

export function isRandomizedMac(mac: string): boolean {
  const hex = macHex(mac);
  if (!hex) return false;
  // Bit 1 of the first octet is the U/L bit; multicast (bit 0) addresses are never a host's own address.
  const first = parseInt(hex.slice(0, 2), 16);
  return (first & 0x02) !== 0 && (first & 0x01) === 0;
}
