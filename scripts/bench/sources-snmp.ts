#!/usr/bin/env bun
// Benchmark (not a test): the SNMP source reading a router's 1,000-entry neighbour table (issue 20:
// "an SNMP walk of a 1,000-entry ARP table … in < 2 s"). Needs root, snmpd and busybox.
//
// The router namespace of test/helpers/snmp-router.ts (Debian snmpd, forwarding between two test
// LANs) gets --entries permanent neighbours (`ip neigh add … nud permanent`) on its routed-LAN
// interface besides its real ones; the reader runs in the scanner namespace on the other LAN, as
// the appliance would, --rounds times per version (v2c, v3 authPriv SHA-256/AES), each a fresh
// process and session. Prints the wall time of each read (the walk of ipNetToPhysicalTable's three
// columns and of ifName, and the parsing) and the rows returned.
//
// Usage: bun scripts/bench/sources-snmp.ts [--entries 1000] [--rounds 5]
import { parseArgs } from "node:util";
import { mustRun } from "../../test/helpers/lan.ts";
import { startSnmpRouter } from "../../test/helpers/snmp-router.ts";

const { values } = parseArgs({ options: { entries: { type: "string", default: "1000" }, rounds: { type: "string", default: "5" } } });
const ENTRIES = Number(values.entries);
const ROUNDS = Number(values.rounds);
if (!(ENTRIES > 0 && ENTRIES <= 60_000 && ROUNDS > 0)) throw new Error("--entries 1..60000, --rounds > 0");

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const rtr = await startSnmpRouter({ routed: 2 });
try {
  const ns = rtr.routerNs;
  // Room for the entries: 10.240.0.0/16 on the routed-LAN bridge. (Permanent entries are not
  // garbage-collected, so gc_thresh3, which a namespace cannot change, does not bound them.)
  await mustRun(rtr.net, ns, ["ip", "addr", "add", "10.240.0.254/16", "dev", rtr.routedIface]);
  // 250 addresses per /24 (.1-.250), MACs numbered alike.
  const batch = Array.from({ length: ENTRIES }, (_, i) => {
    const ip = `10.240.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    const mac = `02:b0:00:${((i >> 16) & 255).toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
    return `neigh add ${ip} lladdr ${mac} dev ${rtr.routedIface} nud permanent`;
  });
  await mustRun(rtr.net, ns, ["ip", "-batch", "-"], batch.join("\n") + "\n");
  const listed = (await mustRun(rtr.net, ns, ["ip", "neigh", "show", "nud", "permanent"])).trim().split("\n").length;
  console.log(`router ${ns}: ${listed} permanent neighbours + ${rtr.routed.length} resolved hosts; snmpd ${Bun.spawnSync(["snmpd", "-v"]).stdout.toString().match(/version:\s*(\S+)/)?.[1] ?? "?"}`);

  for (const [label, config] of [["v2c", rtr.v2c], ["v3 authPriv", rtr.v3]] as const) {
    const times: number[] = [];
    let rows = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const res = await rtr.read(config);
      if (res.error) throw new Error(`${label}: ${res.error.reason}: ${res.error.detail}`);
      rows = res.observations!.length;
      if (rows < ENTRIES) throw new Error(`${label}: ${rows} rows, expected at least ${ENTRIES}`);
      times.push(res.ms);
    }
    console.log(`${label}: ${rows} rows; read in ms: ${times.map((t) => t.toFixed(0)).join(", ")} (p50 ${pct(times, 50).toFixed(0)}, max ${Math.max(...times).toFixed(0)}; target < 2000)`);
  }
} finally {
  await rtr.down();
}
