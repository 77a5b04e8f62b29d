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
// (1.8 MB). That file is used as it is: its bytes, the offsets of its lines, and a binary search;
// a name becomes a string only when it is looked up. preloadVendors() reads it at server start
// without blocking (one read, one pass for the line offsets); a lookup before then reads it
// synchronously, so answers never depend on timing.
import { readFileSync } from "node:fs";
import { normalizeMac } from "../net/ip.ts";
import vendorsFile from "./vendors.tsv" with { type: "file" };

/** The longest block first: a small block is carved out of a large one. */
const LENGTHS = [9, 7, 6] as const;
const TAB = 0x09;
const NEWLINE = 0x0a;

type Table = { bytes: Uint8Array; lineStarts: Uint32Array };

let table: Table | null = null;
let preloading: Promise<void> | null = null;
const decoder = new TextDecoder();

function index(bytes: Uint8Array): Table {
  let lines = 0;
  for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) lines++;
  const lineStarts = new Uint32Array(lines);
  for (let n = 0, at = 0; n < lines; n++) {
    lineStarts[n] = at;
    at = bytes.indexOf(NEWLINE, at) + 1;
  }
  return { bytes, lineStarts };
}

function load(): Table {
  table ??= index(readFileSync(vendorsFile));
  return table;
}

/**
 * Reads the table without holding the event loop for more than a few milliseconds (the read, then
 * the pass for the line offsets, each in a turn of its own); resolves once it is ready. Called at
 * server start.
 */
export function preloadVendors(): Promise<void> {
  preloading ??= (async () => {
    await nextTurn();
    const bytes = await Bun.file(vendorsFile).bytes();
    await nextTurn();
    table ??= index(bytes); // unless a lookup meanwhile read it itself
  })();
  return preloading;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether the table is in memory (a lookup now costs a binary search). */
export function vendorsLoaded(): boolean {
  return table !== null;
}

/** Compares `key` (ASCII hex) with the prefix of the line at `start` (up to its tab). */
function compareKey(key: string, bytes: Uint8Array, start: number): number {
  for (let i = 0; ; i++) {
    const b = bytes[start + i];
    const lineEnded = b === TAB;
    if (i === key.length) return lineEnded ? 0 : -1;
    if (lineEnded) return 1;
    const d = key.charCodeAt(i) - b;
    if (d !== 0) return d;
  }
}

/** The line of `key`, or -1. */
function lineOf({ bytes, lineStarts }: Table, key: string): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKey(key, bytes, lineStarts[mid]);
    if (c === 0) return mid;
    if (c < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return -1;
}

/** The registry's form of a MAC, from the one MAC parser (net/ip.ts). */
export function macHex(mac: string): string | null {
  return normalizeMac(mac)?.replaceAll(":", "").toUpperCase() ?? null;
}

function find(mac: string): { key: string; line: number } | null {
  const hex = macHex(mac);
  if (!hex) return null;
  const t = load();
  for (const len of LENGTHS) {
    const key = hex.slice(0, len);
    const line = lineOf(t, key);
    if (line >= 0) return { key, line };
  }
  return null;
}

export function vendorPrefix(mac: string): string | null {
  return find(mac)?.key ?? null;
}

export function lookupVendor(mac: string): string | null {
  const hit = find(mac);
  if (!hit) return null;
  const { bytes, lineStarts } = table!;
  const start = lineStarts[hit.line] + hit.key.length + 1;
  const end = hit.line + 1 < lineStarts.length ? lineStarts[hit.line + 1] - 1 : bytes.length - 1;
  return decoder.decode(bytes.subarray(start, end)) || null;
}

export function isRandomizedMac(mac: string): boolean {
  const hex = macHex(mac);
  if (!hex) return false;
  // Bit 1 of the first octet is the U/L bit; multicast (bit 0) addresses are never a host's own address.
  const first = parseInt(hex.slice(0, 2), 16);
  return (first & 0x02) !== 0 && (first & 0x01) === 0;
}
