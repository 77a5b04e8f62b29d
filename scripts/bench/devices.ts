#!/usr/bin/env bun
// Benchmark (not a test): the inventory listings on a big network. Builds a temporary data dir with
// 10,000 devices (with ports and threats) and 1,000,000 changes, starts the real server on loopback,
// and measures GET /api/devices (default, filtered, searched), GET /api/changes (newest first and
// filtered) and GET /api/stats: a sequential loop of single requests (latency without queueing)
// and, when wrk is installed, wrk with a few connections. Target: device listing p99 < 20 ms.
//
// Usage: bun scripts/bench/devices.ts [--devices 10000] [--changes 1000000] [--requests 300] [--seconds 5] [--connections 2]
//        [--keep]      keep the built data dir (its path is printed) instead of deleting it
//        [--data DIR]  reuse a data dir kept earlier (its admin/key are recreated only if missing)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildInventory } from "./big-inventory.ts";

const { values } = parseArgs({
  options: {
    devices: { type: "string", default: "10000" },
    changes: { type: "string", default: "1000000" },
    requests: { type: "string", default: "300" },
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "2" },
    data: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const DEVICES = Number(values.devices);
const CHANGES = Number(values.changes);
const root = join(import.meta.dir, "..", "..");


async function waitForHealth(url: string) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url + "/health")).ok) return;
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`server at ${url} did not come up`);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

async function sequential(url: string, headers: Record<string, string>): Promise<{ p50: number; p99: number; total: string | null }> {
  const times: number[] = [];
  let total: string | null = null;
  for (let i = 0; i < 20; i++) await (await fetch(url, { headers })).arrayBuffer(); // warm up
  for (let i = 0; i < Number(values.requests); i++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    times.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
    total = res.headers.get("x-total-count");
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), total };
}

async function wrk(url: string, key: string): Promise<{ rps: number; p50: number; p99: number } | null> {
  if (!Bun.which("wrk")) return null;
  const out = await new Response(Bun.spawn(["wrk", "-t1", `-c${values.connections}`, `-d${values.seconds}s`, "--latency", "-H", `X-API-Key: ${key}`, url], { stdout: "pipe" }).stdout).text();
  if (/Non-2xx or 3xx responses/.test(out)) throw new Error(`wrk saw error responses:\n${out}`);
  const ms = (m: RegExpExecArray | null) => (m ? Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[m[2]] : NaN);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), p50: ms(/50%\s+([\d.]+)(us|ms|s)/.exec(out)), p99: ms(/99%\s+([\d.]+)(us|ms|s)/.exec(out)) };
}

const dataDir = values.data ?? mkdtempSync(join(tmpdir(), "argus-bench-devices-"));
let server: Bun.Subprocess | undefined;
try {
  if (!values.data) buildInventory(dataDir, DEVICES, CHANGES);
  const port = 20000 + Math.floor(Math.random() * 20000);
  server = Bun.spawn([process.execPath, join(root, "src/main.ts"), "serve"], {
    env: { ...process.env, ARGUS_PORT: String(port), ARGUS_HOST: "127.0.0.1", ARGUS_DATA_DIR: dataDir, ARGUS_LOG_LEVEL: "warn" },
    stdout: "ignore",
    stderr: "inherit",
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(base);
  const credentials = JSON.stringify({ username: "admin", password: "benchmark password" });
  const setup = await fetch(base + "/api/setup", { method: "POST", headers: { "content-type": "application/json" }, body: credentials });
  const login = setup.status === 409 ? await fetch(base + "/api/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: credentials }) : setup;
  const cookie = login.headers.getSetCookie()[0].split(";")[0];
  const key = (await (await fetch(base + "/api/keys", { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify({ name: "bench" }) })).json()).key as string;

  const paths = [
    "/api/devices",
    "/api/devices?status=online",
    "/api/devices?risk_level=medium",
    "/api/devices?zone=IoT",
    "/api/devices?sort=-risk_score",
    "/api/devices?status=online&sort=-risk_score",
    "/api/devices?zone=IoT&risk_level=high",
    "/api/devices?q=host-12",
    "/api/devices?port=23",
    "/api/devices?sort=hostname",
    "/api/devices?sort=-vendor",
    "/api/devices?sort=hostname&offset=5000",
    "/api/devices?limit=1000",
    "/api/changes",
    "/api/changes?device_id=1234",
    "/api/changes?change_type=port_opened&severity=critical",
    "/api/changes?acknowledged=false&offset=10000",
    "/api/stats",
  ];
  console.log(`\nloopback, ${values.requests} sequential requests each, then wrk -c${values.connections} for ${values.seconds} s`);
  console.log("path".padEnd(56), "total".padStart(8), "seq p50".padStart(9), "seq p99".padStart(9), "wrk rps".padStart(9), "wrk p50".padStart(9), "wrk p99".padStart(9));
  for (const path of paths) {
    const seq = await sequential(base + path, { "X-API-Key": key });
    const w = await wrk(base + path, key);
    const f = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "-" : `${n.toFixed(2)}ms`).padStart(9);
    console.log(path.padEnd(56), String(seq.total ?? "").padStart(8), f(seq.p50), f(seq.p99), String(w ? Math.round(w.rps) : "-").padStart(9), f(w?.p50), f(w?.p99));
  }
} finally {
  server?.kill("SIGTERM");
  await server?.exited;
  if (values.keep || values.data) console.log(`data dir kept: ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
}
