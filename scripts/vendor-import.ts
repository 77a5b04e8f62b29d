// Regenerates src/identify/vendors.tsv, the MAC vendor table, and vendors.bin, its packed form that
// the appliance carries and reads (src/identify/vendor-table.ts). vendors.tsv has one line per
// registry block, "PREFIX<TAB>Name", sorted by prefix, from the IEEE registry in `oui-data` (MA-L,
// MA-M, MA-S) and src/identify/iab.json (IAB). Only the registrant's name is kept (the first line of
// the entry; the postal address is never shown), so the table is a third of the JSON; packed, a
// seventh, and used without parsing (see src/identify/vendor.ts). Run after updating `oui-data`;
// test/identify/vendor.test.ts fails while the table and the registry disagree.
//   node_modules/.bin/bun scripts/vendor-import.ts
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { packVendorTable } from "../src/identify/vendor-table.ts";

const require = createRequire(import.meta.url);
const oui = JSON.parse(readFileSync(require.resolve("oui-data"), "utf8")) as Record<string, string>;
const iabPath = new URL("../src/identify/iab.json", import.meta.url).pathname;
const iab = JSON.parse(readFileSync(iabPath, "utf8")) as Record<string, string>;

const lines: string[] = [];
for (const table of [oui, iab]) {
  for (const [prefix, entry] of Object.entries(table)) {
    if (!/^([0-9A-F]{6}|[0-9A-F]{7}|[0-9A-F]{9})$/.test(prefix)) throw new Error(`unexpected registry key ${prefix}`);
    const name = entry.split("\n", 1)[0].trim();
    if (/[\t\r\n]/.test(name)) throw new Error(`registry name with a control character: ${prefix}`);
    lines.push(`${prefix}\t${name}`);
  }
}
// Byte order of the prefixes (all ASCII), the order src/identify/vendor.ts searches in.
lines.sort((a, b) => {
  const ka = a.slice(0, a.indexOf("\t"));
  const kb = b.slice(0, b.indexOf("\t"));
  return ka < kb ? -1 : ka > kb ? 1 : 0;
});
for (let i = 1; i < lines.length; i++) {
  if (lines[i].split("\t")[0] === lines[i - 1].split("\t")[0]) throw new Error(`prefix in both tables: ${lines[i]}`);
}
const out = new URL("../src/identify/vendors.tsv", import.meta.url).pathname;
const text = lines.join("\n") + "\n";
writeFileSync(out, text);
const packedOut = new URL("../src/identify/vendors.bin", import.meta.url).pathname;
const packed = packVendorTable(new TextEncoder().encode(text));
writeFileSync(packedOut, packed);
console.log(`${lines.length} prefixes → ${out}, packed ${packed.length} bytes → ${packedOut}`);
