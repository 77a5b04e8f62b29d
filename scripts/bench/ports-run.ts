// Benchmark runner for scripts/bench/ports.sh, run inside the scanner namespace: scans the given hosts'
// ports with src/portscan/ports.ts and prints {elapsed_ms, hosts: {ip: {open, filtered}}} as JSON.
//   bun scripts/bench/ports-run.ts SPEC IP...
import { scanPorts } from "../../src/portscan/ports.ts";
import { parsePortSpec } from "../../src/portscan/profiles.ts";

const [spec, ...hosts] = process.argv.slice(2);
const t0 = performance.now();
const r = await scanPorts(hosts, parsePortSpec(spec));
const elapsed_ms = performance.now() - t0;
const out: Record<string, { open: number[]; filtered: number[] }> = {};
for (const h of r.hosts) out[h.host] = { open: h.open.map((o) => o.port), filtered: h.filtered.map((f) => f.port) };
console.log(JSON.stringify({ elapsed_ms, ports_scanned: r.ports_scanned, hosts: out }));
