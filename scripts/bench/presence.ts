// Benchmark: GET /api/presence on a big history (10,000 devices, 305,000 sessions) with a read-only
// key, the red team's concurrent requests, while /health is polled. Prints each scenario's request
// times, the longest /health wait during it, and the server's RSS afterwards.
//   bun scripts/bench/presence.ts [devices=10000] [sessions per device=30.5]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSettings } from "../../src/config/settings.ts";
import { openDatabase } from "../../src/db/database.ts";
import { startServer } from "../../src/server.ts";

const DEVICES = Number(process.argv[2] ?? 10_000);
const PER_DEVICE = Number(process.argv[3] ?? 30.5);
const DAY = 86_400_000;
const NOW = Math.floor(Date.now() / 1000) * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const dir = mkdtempSync(join(tmpdir(), "argus-bench-presence-"));

const seedDb = openDatabase(dir);
let rows = 0;
seedDb.transaction(() => {
  const dev = seedDb.query("INSERT INTO devices (mac_address, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?)");
  const ses = seedDb.query("INSERT INTO presence_sessions (device_id, started_at, ended_at, source) VALUES (?, ?, ?, 'scan')");
  for (let i = 0; i < DEVICES; i++) {
    const id = Number(dev.run(`02:${[i >> 16, (i >> 8) & 255, i & 255, 0, 1].map((b) => b.toString(16).padStart(2, "0")).join(":")}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, iso(NOW - 365 * DAY), iso(NOW)).lastInsertRowid);
    const n = Math.floor(PER_DEVICE) + (i % 2 === 0 && PER_DEVICE % 1 ? 1 : 0);
    const step = (360 * DAY) / n;
    for (let k = 0; k < n; k++) {
      const from = NOW - 360 * DAY + Math.floor(k * step) + (i % 600) * 1000;
      const open = k === n - 1 && i % 3 === 0;
      ses.run(id, iso(from), open ? null : iso(from + Math.floor(step / 2)));
      rows++;
    }
  }
})();
seedDb.close();
console.log(`seeded ${DEVICES} devices, ${rows} presence sessions`);

const server = await startServer(loadSettings({ ARGUS_DATA_DIR: dir, ARGUS_PORT: "0", ARGUS_HOST: "127.0.0.1", ARGUS_LOG_LEVEL: "error" }));
await fetch(`${server.url}/api/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: "benchmark password 1" }) });
const headers = { "X-API-Key": server.ctx.apiKeys.create("bench", "read").key };

async function scenario(name: string, path: string, concurrent: number) {
  let running = true;
  const health: number[] = [];
  const poll = (async () => {
    while (running) {
      const t0 = performance.now();
      await (await fetch(`${server.url}/health`)).arrayBuffer();
      health.push(performance.now() - t0);
      await Bun.sleep(5);
    }
  })();
  const t0 = performance.now();
  const answers = await Promise.all(
    Array.from({ length: concurrent }, async () => {
      const s = performance.now();
      const res = await fetch(`${server.url}${path}`, { headers });
      const bytes = (await res.arrayBuffer()).byteLength;
      return { status: res.status, bytes, ms: performance.now() - s };
    }),
  );
  const wall = performance.now() - t0;
  running = false;
  await poll;
  const statuses = [...new Set(answers.map((a) => a.status))].join(",");
  console.log(
    `${name}: ${concurrent}× ${path.slice(0, 90)} → status ${statuses}, ${(answers[0].bytes / 1024).toFixed(0)} KiB each, ` +
      `slowest ${Math.max(...answers.map((a) => a.ms)).toFixed(0)} ms, all in ${wall.toFixed(0)} ms; /health max ${Math.max(...health).toFixed(1)} ms over ${health.length} polls; RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`,
  );
}

console.log(`RSS at start ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
await scenario("past window", "/api/presence?until=1970-01-01T00:00:00Z", 40);
await scenario("year of days, largest page", `/api/presence?bucket=day&since=${iso(NOW - 360 * DAY)}&limit=138`, 10);
await scenario("year of days, limit=1000", `/api/presence?bucket=day&since=${iso(NOW - 360 * DAY)}&limit=1000`, 10);
await scenario("30 days of hours, largest page", `/api/presence?since=${iso(NOW - 30 * DAY)}&limit=69`, 12);
await scenario("30 days of hours, limit=1000", `/api/presence?since=${iso(NOW - 30 * DAY)}&limit=1000`, 12);
await scenario("last 24 h, limit=1000", "/api/presence?limit=1000", 12);
await server.stop();
rmSync(dir, { recursive: true, force: true });
