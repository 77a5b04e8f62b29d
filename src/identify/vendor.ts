// MAC address → vendor name, from the IEEE registry (`oui-data`, reduced to vendors.tsv), and the randomised-MAC flag.
//
//   lookupVendor(mac: string): string | null      organisation name (first line only), or null
//   vendorPrefix(mac: string): string | null      the registry key that matched ("B827EB", "70B3D5123", ...)
//   isRandomizedMac(mac: string): boolean         locally administered bit set (phones' private addresses)
//   macHex(mac: string): string | null            the registry's form of a MAC: "aa:bb:..", "AA-BB-.." → "AABB.."
//   preloadVendors(): Promise<void>              read the table without blocking (at server start)
//   vendorsLoaded(): boolean                      whether it is in memory
//
// The registry has three block sizes: MA-L (24-bit prefix, 6 hex digits), MA-M (28-bit, 7) and MA-S / IAB
// (36-bit, 9). A small block is carved out of a large one (e.g. 70:B3:D5 is registered to "IEEE Registration
// Authority" as MA-L, its 36-bit sub-blocks to real vendors), so the longest prefix must be tried first.
//
// `oui-data` lacks the closed IAB registry (36-bit blocks under 00:50:C2 and 40:D8:55); iab.json supplies it
// (regenerate with scripts/iab-import.ts).
//
// Both registries are ~5.8 MB of JSON with every registrant's postal address. Parsed into an object
// (as before) they cost +30-45 MiB of RSS and 40-300 ms on the event loop at the first lookup.
// scripts/vendor-import.ts reduces them to vendors.tsv: "PREFIX<TAB>Name" lines sorted by prefix
// (1.8 MB), and packs that into vendors.bin (blocks of lines deflated one by one, ~0.8 MB; see
// vendor-table.ts), which is what is carried and held: a lookup inflates one block. preloadVendors()
// reads it at server start without blocking; a lookup before then reads it synchronously, so
// answers never depend on timing.
import { readFileSync } from "node:fs";
import { normalizeMac } from "../net/ip.ts";
import vendorsFile from "./vendors.bin" with { type: "file" };
import { openVendorTable, type VendorTable } from "./vendor-table.ts";

/** The longest block first: a small block is carved out of a large one. */
const LENGTHS = [9, 7, 6] as const;

let table: VendorTable | null = null;
let preloading: Promise<void> | null = null;

function load(): VendorTable {
  table ??= openVendorTable(readFileSync(vendorsFile));
  return table;
}

/**
 * Reads the table without holding the event loop for more than a few milliseconds (the read, then
 * its header, each in a turn of its own); resolves once it is ready. Called at server start.
 */
export function preloadVendors(): Promise<void> {
  preloading ??= (async () => {
    await nextTurn();
    const bytes = await Bun.file(vendorsFile).bytes();
    await nextTurn();
    table ??= openVendorTable(bytes); // unless a lookup meanwhile read it itself
  })();
  return preloading;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether the table is in memory (a lookup now costs a binary search). */
export function vendorsLoaded(): boolean {
  return table !== null;
}

/** The registry's form of a MAC, from the one MAC parser (net/ip.ts). */
export function macHex(mac: string): string | null {
  return normalizeMac(mac)?.replaceAll(":", "").toUpperCase() ?? null;
}

function find(mac: string): { key: string; name: string } | null {
  const hex = macHex(mac);
  if (!hex) return null;
  const t = load();
  for (const len of LENGTHS) {
    const key = hex.slice(0, len);
    const name = t.get(key);
    if (name !== undefined) return { key, name };
  }
  return null;
}

export function vendorPrefix(mac: string): string | null {
  return find(mac)?.key ?? null;
}

export function lookupVendor(mac: string): string | null {
  return find(mac)?.name || null;
}

export function isRandomizedMac(mac: string): boolean {
  const hex = macHex(mac);
  if (!hex) return false;
  // Bit 1 of the first octet is the U/L bit; multicast (bit 0) addresses are never a host's own address.
  const first = parseInt(hex.slice(0, 2), 16);
  return (first & 0x02) !== 0 && (first & 0x01) === 0;
}
