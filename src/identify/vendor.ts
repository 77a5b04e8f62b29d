// MAC address → vendor name, from the IEEE registry bundled as `oui-data`, and the randomised-MAC flag.
//
//   lookupVendor(mac: string): string | null      organisation name (first line only), or null
//   vendorPrefix(mac: string): string | null      the registry key that matched ("B827EB", "70B3D5123", ...)
//   isRandomizedMac(mac: string): boolean         locally administered bit set (phones' private addresses)
//   normalizeMac(mac: string): string | null      "aa:bb:..", "AA-BB-..", "aabb.ccdd.eeff" → "AABBCCDDEEFF"
//   preloadVendors(): void                        load the table now (e.g. at server start)
//
// The registry has three block sizes: MA-L (24-bit prefix, 6 hex digits), MA-M (28-bit, 7) and MA-S / IAB
// (36-bit, 9). A small block is carved out of a large one (e.g. 70:B3:D5 is registered to "IEEE Registration
// Authority" as MA-L, its 36-bit sub-blocks to real vendors), so the longest prefix must be tried first.
//
// `oui-data` lacks the closed IAB registry (36-bit blocks under 00:50:C2 and 40:D8:55); iab.json supplies it
// (regenerate with src/identify/iab-import.ts).
//
// The table is ~5.6 MB of JSON; it is imported lazily on first use so that commands that never look a
// vendor up do not pay for it. Measured on the dev machine (bun 1.4.4): load ≈ 50 ms, +≈ 45 MiB RSS, 10k lookups ≈ 6 ms
// (see test/identify/vendor.test.ts, which prints the figures).
import { createRequire } from "node:module";

type OuiTable = Record<string, string>;

let table: OuiTable | null = null;

function load(): OuiTable {
  if (table) return table;
  // A synchronous require keeps lookups synchronous; `bun build --compile` still embeds both JSON files.
  const require = createRequire(import.meta.url);
  const oui = require("oui-data") as OuiTable;
  const iab = require("./iab.json") as OuiTable;
  // IAB keys never collide with oui-data's (it has only the parent MA-L entries), so a merge is exact.
  table = Object.assign(Object.create(null), oui, iab) as OuiTable;
  return table;
}

export function preloadVendors(): void {
  load();
}

export function normalizeMac(mac: string): string | null {
  const hex = mac.trim().replace(/[:\-.]/g, "").toUpperCase();
  return /^[0-9A-F]{12}$/.test(hex) ? hex : null;
}

export function vendorPrefix(mac: string): string | null {
  const hex = normalizeMac(mac);
  if (!hex) return null;
  const oui = load();
  for (const len of [9, 7, 6]) {
    const key = hex.slice(0, len);
    if (oui[key] !== undefined) return key;
  }
  return null;
}

export function lookupVendor(mac: string): string | null {
  const key = vendorPrefix(mac);
  if (!key) return null;
  const name = load()[key].split("\n", 1)[0].trim();
  return name || null;
}

export function isRandomizedMac(mac: string): boolean {
  const hex = normalizeMac(mac);
  if (!hex) return false;
  // Bit 1 of the first octet is the U/L bit; multicast (bit 0) addresses are never a host's own address.
  const first = parseInt(hex.slice(0, 2), 16);
  return (first & 0x02) !== 0 && (first & 0x01) === 0;
}
