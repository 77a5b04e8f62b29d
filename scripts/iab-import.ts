// Regenerates src/identify/iab.json, the IEEE IAB registry (36-bit blocks under 00:50:C2 and 40:D8:55),
// which `oui-data` does not carry. The IAB registry is closed (IEEE stopped issuing IABs in 2014), so this
// snapshot does not go stale. Source: the IAB section of arp-scan's ieee-oui.txt (IEEE public registry data).
//   node_modules/.bin/bun scripts/iab-import.ts [/usr/share/arp-scan/ieee-oui.txt]
import { readFileSync, writeFileSync } from "node:fs";

const src = process.argv[2] ?? "/usr/share/arp-scan/ieee-oui.txt";
const text = readFileSync(src, "utf8");
const start = text.indexOf("# Start of IEEE IAB registry data");
const end = text.indexOf("# End of IEEE IAB registry data");
if (start < 0 || end < 0) throw new Error(`${src}: no IAB section`);
const out: Record<string, string> = {};
for (const line of text.slice(start, end).split("\n")) {
  const m = /^([0-9A-F]{9})\t(.+)$/.exec(line);
  if (m) out[m[1]] = m[2].trim();
}
const path = new URL("../src/identify/iab.json", import.meta.url).pathname;
writeFileSync(path, JSON.stringify(out, null, 0).replace(/","/g, '",\n"') + "\n");
console.log(`${Object.keys(out).length} IAB entries → ${path}`);
