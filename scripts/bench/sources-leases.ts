// Benchmark: a 5,000-line dnsmasq lease file applied by the sources runner while the API serves
// GET /api/devices (issue 20: applied in < 2 s with the API p99 unchanged).
//   bun scripts/bench/sources-leases.ts [leases=5000] [runs=10]
// Three cases: a first run into an empty inventory (new devices, at most NEW_DEVICES_PER_RUN a run);
// runs that rename every one of 5,000 known devices (the worst case: each a write and a device event);
// runs where nothing changed (each name only refreshed). The API's p50/p99 is measured while each kind
// of run repeats back to back, against the same requests with no run. Runs inside a network
// namespace of its own (loopback only): the appliance there has a confirmed /16 that reaches nothing.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LEASES = Number(process.argv[2] ?? 5000);
const RUNS = Number(process.argv[3] ?? 10);

if (process.argv[4] !== "--inside") {
  const ns = `argus-bench-src-${process.pid}`;
  const sh = (cmd: string[]) => {
    const r = Bun.spawnSync(cmd, { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
  };
  sh(["ip", "netns", "add", ns]);
  try {
    sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
    const child = Bun.spawn(["ip", "netns", "exec", ns, process.execPath, import.meta.path, String(LEASES), String(RUNS), "--inside"], { stdout: "inherit", stderr: "inherit" });
    process.exitCode = await child.exited;
  } finally {
    sh(["ip", "netns", "del", ns]);
  }
} else {
  await inside();
}

async function inside() {
  const { loadSettings } = await import("../../src/config/settings.ts");
  const { startServer } = await import("../../src/server.ts");
  const { NEW_DEVICES_PER_RUN } = await import("../../src/sources/runner.ts");
  const dir = mkdtempSync(join(tmpdir(), "argus-bench-sources-"));
  // Not in the data directory: a source may not read the appliance's own data (lease-file.ts).
  const leaseDir = mkdtempSync(join(tmpdir(), "argus-bench-leases-"));
  const files = { a: join(leaseDir, "a.leases"), b: join(leaseDir, "b.leases"), fresh: join(leaseDir, "fresh.leases") };
  const expiry = Math.floor(Date.now() / 1000) + 86_400;
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  const mac = (i: number, top: number) => `02:00:${hex(top)}:${hex((i >> 16) & 255)}:${hex((i >> 8) & 255)}:${hex(i & 255)}`;
  const ip = (i: number) => `10.20.${(i >> 8) & 255}.${i & 255}`;
  const lines = (name: string, top: number) => Array.from({ length: LEASES }, (_, i) => `${expiry} ${mac(i, top)} ${ip(i + 1)} ${name}-${i} 01:${mac(i, top)}`).join("\n") + "\n";
  writeFileSync(files.a, lines("host", 1));
  writeFileSync(files.b, lines("renamed", 1));
  writeFileSync(files.fresh, lines("fresh", 2));
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({
      schedule: [],
      subnets: ["10.20.0.0/16"],
      // Long intervals: the bench runs them on demand, the timer never does.
      sources: [
        { name: "a", type: "dnsmasq_leases", path: files.a, interval_s: 86_400, enabled: false },
        { name: "b", type: "dnsmasq_leases", path: files.b, interval_s: 86_400, enabled: false },
        { name: "fresh", type: "dnsmasq_leases", path: files.fresh, interval_s: 86_400, enabled: false },
      ],
    }),
  );
  const server = await startServer(loadSettings({ ARGUS_DATA_DIR: dir, ARGUS_PORT: "0", ARGUS_HOST: "127.0.0.1", ARGUS_LOG_LEVEL: "error" }));
  await fetch(`${server.url}/api/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: "benchmark password 1" }) });
  const headers = { "X-API-Key": server.ctx.apiKeys.create("bench").key, "content-type": "application/json" };
  const enable = async (names: string[]) => {
    const sources = (server.ctx.config().sources as any[]).map((s) => ({ ...s, enabled: names.includes(s.name) }));
    const r = await fetch(`${server.url}/api/config`, { method: "PUT", headers, body: JSON.stringify({ sources }) });
    if (r.status !== 200) throw new Error(`PUT /api/config ${r.status}`);
  };
  const run = async (name: string) => {
    const t0 = performance.now();
    const r = await fetch(`${server.url}/api/sources/${name}/run`, { method: "POST", headers });
    const body = (await r.json()) as { status: string; detail: string };
    if (body.status !== "ok") throw new Error(`${name}: ${body.detail}`);
    return { ms: performance.now() - t0, detail: body.detail };
  };
  const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((a.length * p) / 100))];
  async function measure(stop: () => boolean): Promise<number[]> {
    const times: number[] = [];
    while (!stop()) {
      const t0 = performance.now();
      await (await fetch(`${server.url}/api/devices?limit=50&offset=${Math.floor(Math.random() * 1000)}`, { headers })).arrayBuffer();
      times.push(performance.now() - t0);
    }
    return times;
  }

  // 1. A first run into an empty inventory.
  await enable(["fresh", "a", "b"]);
  const fresh = await run("fresh");
  console.log(`first run, empty inventory: ${fresh.ms.toFixed(0)} ms (${fresh.detail}; at most ${NEW_DEVICES_PER_RUN} new devices a run)`);

  // 2. Seed 5,000 known devices (the lease's MACs), unnamed: then every run renames them all.
  const db = server.ctx.db;
  db.transaction(() => {
    const dev = db.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen, status) VALUES (?, ?, ?, ?, 'online')");
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    for (let i = 0; i < LEASES; i++) dev.run(mac(i, 1), ip(i + 1), now, now);
  })();

  const idleStart = Date.now();
  const idle = await measure(() => Date.now() - idleStart > 5000);

  let running = true;
  const during = measure(() => !running);
  const renames: number[] = [];
  let detail = "";
  for (let i = 0; i < RUNS; i++) {
    const r = await run(i % 2 === 0 ? "a" : "b");
    renames.push(r.ms);
    detail = r.detail;
  }
  running = false;
  const busy = await during;
  // 3. Nothing changed since the last run (the usual case): names only refreshed, the API measured again.
  const unchanged: number[] = [];
  const last = RUNS % 2 === 0 ? "b" : "a";
  running = true;
  const quiet = measure(() => !running);
  for (let i = 0; i < RUNS; i++) unchanged.push((await run(last)).ms);
  running = false;
  const calm = await quiet;
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(leaseDir, { recursive: true, force: true });

  console.log(`renaming all ${LEASES} known devices: median ${pct(renames, 50).toFixed(0)} ms, max ${Math.max(...renames).toFixed(0)} ms over ${RUNS} runs (${detail}); target < 2000 ms`);
  console.log(`nothing changed: median ${pct(unchanged, 50).toFixed(0)} ms, max ${Math.max(...unchanged).toFixed(0)} ms over ${RUNS} runs`);
  console.log(`GET /api/devices idle:        p50 ${pct(idle, 50).toFixed(2)} ms, p99 ${pct(idle, 99).toFixed(2)} ms (${idle.length} requests)`);
  console.log(`GET /api/devices during unchanged runs: p50 ${pct(calm, 50).toFixed(2)} ms, p99 ${pct(calm, 99).toFixed(2)} ms (${calm.length} requests); p99 ratio ${(pct(calm, 99) / pct(idle, 99)).toFixed(2)}`);
  console.log(`GET /api/devices during renaming runs: p50 ${pct(busy, 50).toFixed(2)} ms, p99 ${pct(busy, 99).toFixed(2)} ms (${busy.length} requests); p99 ratio ${(pct(busy, 99) / pct(idle, 99)).toFixed(2)}`);
}
