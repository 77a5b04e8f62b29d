// Benchmark: pruning 1,000,000 old changes while the API serves GET /api/devices.
// Reports the longest single write transaction (how long a writer or a reader's page can wait behind
// pruning) and GET /api/devices p50/p99 during pruning, against the same requests without pruning.
//   bun scripts/bench/retention.ts [changes=1000000] [devices=10000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSettings } from "../../src/config/settings.ts";
import { openDatabase } from "../../src/db/database.ts";
import { pruneHistory } from "../../src/retention/prune.ts";
import { startServer } from "../../src/server.ts";

const CHANGES = Number(process.argv[2] ?? 1_000_000);
const DEVICES = Number(process.argv[3] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), "argus-bench-retention-"));
const old = "2020-01-01T00:00:00Z";

const seedDb = openDatabase(dir);
seedDb.transaction(() => {
  const dev = seedDb.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?)");
  for (let i = 0; i < DEVICES; i++) dev.run(`02:${[i >> 16, (i >> 8) & 255, i & 255, 0, 1].map((b) => b.toString(16).padStart(2, "0")).join(":")}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, old, old);
  const scans = Math.ceil(CHANGES / 1000);
  const scan = seedDb.query("INSERT INTO scans (scan_type, profile, subnet, status, started_at, finished_at) VALUES ('network', 'quick', '10.0.0.0/16', 'completed', ?, ?)");
  for (let s = 0; s < scans; s++) scan.run(old, old);
  const ch = seedDb.query("INSERT INTO changes (scan_id, device_id, device_ip, change_type, severity, description, detected_at) VALUES (?, ?, '10.0.0.1', 'port_opened', 'info', 'port 80 opened', ?)");
  for (let i = 0; i < CHANGES; i++) ch.run(1 + Math.floor(i / 1000), 1 + (i % DEVICES), old);
})();
seedDb.close();
console.log(`seeded ${DEVICES} devices, ${CHANGES} changes`);

const server = await startServer(loadSettings({ ARGUS_DATA_DIR: dir, ARGUS_PORT: "0", ARGUS_HOST: "127.0.0.1", ARGUS_LOG_LEVEL: "error" }));
await fetch(`${server.url}/api/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: "benchmark password 1" }) });
const key = server.ctx.apiKeys.create("bench").key;
const headers = { "X-API-Key": key };

async function measure(stop: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!stop()) {
    const t0 = performance.now();
    await (await fetch(`${server.url}/api/devices?limit=50&offset=${Math.floor(Math.random() * (DEVICES - 50))}`, { headers })).arrayBuffer();
    times.push(performance.now() - t0);
  }
  return times;
}
const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((a.length * p) / 100))];

const t0 = Date.now();
const idle = await measure(() => Date.now() - t0 > 5000);

const batches: number[] = [];
let pruning = true;
const started = performance.now();
const during = measure(() => !pruning);
const counts = await pruneHistory(server.ctx.db, 90, { onBatch: (ms) => batches.push(ms) });
const elapsed = (performance.now() - started) / 1000;
pruning = false;
const busy = await during;
const walBytes = Bun.file(join(dir, "argus.db-wal")).size;
await server.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`pruned ${JSON.stringify(counts)} in ${elapsed.toFixed(1)} s, ${batches.length} transactions; WAL afterwards ${(walBytes / 1048576).toFixed(1)} MiB`);
console.log(`longest write transaction ${Math.max(...batches).toFixed(1)} ms (p99 ${pct(batches, 99).toFixed(1)} ms, median ${pct(batches, 50).toFixed(1)} ms)`);
console.log(`GET /api/devices idle:    p50 ${pct(idle, 50).toFixed(2)} ms, p99 ${pct(idle, 99).toFixed(2)} ms (${idle.length} requests)`);
console.log(`GET /api/devices pruning: p50 ${pct(busy, 50).toFixed(2)} ms, p99 ${pct(busy, 99).toFixed(2)} ms (${busy.length} requests); target p99 < 50 ms`);
