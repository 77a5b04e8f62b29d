#!/usr/bin/env bun
// Benchmark (not a test): the SNMP source's walk of a router's 1,000-entry ARP table APPLIED through
// the sources runner of a running appliance, while the API is requested back to back (issue 20: "an
// SNMP walk of a 1,000-entry ARP table … applied in < 2 s with the API p99 unchanged"). Needs root,
// snmpd and busybox.
//
// The router namespace of test/helpers/snmp-router.ts (Debian snmpd between two test LANs) gets
// --entries permanent neighbours on its routed-LAN interface (10.240.0.0/16); the appliance runs in
// the scanner namespace on the other LAN (test/helpers/netserver.ts: its own process, as deployed),
// with 10.240.0.0/16 confirmed and an `snmp` source (v2c) configured through PUT /api/config. Runs:
// the first (every neighbour a new device, up to the per-run cap), then --runs runs where nothing
// changed (the usual case: names and places refreshed). Each run's time is POST /api/sources/{name}/run
// end to end (the walk, the parse, the apply). GET /api/devices is measured idle and during the runs.
//
// Usage: bun scripts/bench/sources-snmp-applied.ts [--entries 1000] [--runs 10]
import { parseArgs } from "node:util";
import { mustRun } from "../../test/helpers/lan.ts";
import { startNetServer } from "../../test/helpers/netserver.ts";
import { adminWithKey } from "../../test/helpers/server.ts";
import { startSnmpRouter } from "../../test/helpers/snmp-router.ts";

const { values } = parseArgs({ options: { entries: { type: "string", default: "1000" }, runs: { type: "string", default: "10" } } });
const ENTRIES = Number(values.entries);
const RUNS = Number(values.runs);
if (!(ENTRIES > 0 && ENTRIES <= 60_000 && RUNS > 0)) throw new Error("--entries 1..60000, --runs > 0");

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const rtr = await startSnmpRouter({ routed: 2 });
let server: Awaited<ReturnType<typeof startNetServer>> | null = null;
try {
  const ns = rtr.routerNs;
  await mustRun(rtr.net, ns, ["ip", "addr", "add", "10.240.0.254/16", "dev", rtr.routedIface]);
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  const batch = Array.from({ length: ENTRIES }, (_, i) => `neigh add 10.240.${Math.floor(i / 250)}.${(i % 250) + 1} lladdr 02:b0:00:${hex((i >> 16) & 255)}:${hex((i >> 8) & 255)}:${hex(i & 255)} dev ${rtr.routedIface} nud permanent`);
  await mustRun(rtr.net, ns, ["ip", "-batch", "-"], batch.join("\n") + "\n");

  server = await startNetServer(rtr.net);
  const api = server.client({ "X-API-Key": (await adminWithKey(server)).key });
  const saved = await api.request("PUT", "/api/config", {
    json: { subnets: ["10.240.0.0/16", rtr.net.truth.routed_subnet!], sources: [{ name: "router", type: "snmp", ...rtr.v2c, interval_s: 86_400 }] },
  });
  if (saved.status !== 200) throw new Error(`PUT /api/config: ${saved.status} ${saved.text}`);
  // The timer runs a new source at once: wait for that first run to end before measuring.
  for (let i = 0; i < 200 && (await api.get("/api/sources")).body[0]?.last_run_at == null; i++) await Bun.sleep(50);
  const first = (await api.get("/api/sources")).body[0];
  console.log(`first run (timer): ${first.status}: ${first.detail}`);

  const measure = async (stop: () => boolean): Promise<number[]> => {
    const times: number[] = [];
    while (!stop()) {
      const t0 = performance.now();
      const r = await api.get(`/api/devices?limit=50&offset=${Math.floor(Math.random() * 900)}`);
      if (r.status !== 200) throw new Error(`GET /api/devices ${r.status}`);
      times.push(performance.now() - t0);
    }
    return times;
  };
  const idleStart = Date.now();
  const idle = await measure(() => Date.now() - idleStart > 5000);

  let running = true;
  const during = measure(() => !running);
  const runs: number[] = [];
  let detail = "";
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await api.post("/api/sources/router/run");
    runs.push(performance.now() - t0);
    if (r.body.status !== "ok") throw new Error(`run: ${r.body.detail}`);
    detail = r.body.detail;
  }
  running = false;
  const busy = await during;
  const devices = Number((await api.get("/api/devices?limit=1")).headers.get("x-total-count"));
  console.log(`${ENTRIES} permanent neighbours + ${rtr.routed.length} resolved hosts; ${devices} devices in the inventory`);
  console.log(`walk + apply through the runner: median ${pct(runs, 50).toFixed(0)} ms, max ${Math.max(...runs).toFixed(0)} ms over ${RUNS} runs (last: ${detail}); target < 2000 ms`);
  console.log(`GET /api/devices idle:        p50 ${pct(idle, 50).toFixed(2)} ms, p99 ${pct(idle, 99).toFixed(2)} ms (${idle.length} requests)`);
  console.log(`GET /api/devices during runs: p50 ${pct(busy, 50).toFixed(2)} ms, p99 ${pct(busy, 99).toFixed(2)} ms (${busy.length} requests); p99 ratio ${(pct(busy, 99) / pct(idle, 99)).toFixed(2)}`);
} finally {
  await server?.close();
  await rtr.down();
}
