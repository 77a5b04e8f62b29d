#!/usr/bin/env bun
// Benchmark (not a test): notification delivery. The real server on loopback (HTTP, SQLite, the
// notifier and its worker) with a stand-in scan pipeline that "finds" new devices (no packets leave:
// scans of real networks are measured by sweep.sh/ports.sh), a webhook receiver and an API latency
// probe, each in its own process.
//  1. commit → webhook latency: scans that each add one device; time from the scan's commit (its
//     `finished` event, emitted right after the transaction) to the receiver's arrival time.
//  2. 1,000 changes in one scan, digest off: time until the receiver has all 1,000 messages, and
//     GET /api/devices latency meanwhile, against the same probe on the idle server (the reference).
// Targets (issue 11): p50 < 100 ms; GET /api/devices p99 < 20 ms while the queue drains.
//
// Usage: bun scripts/bench/notify.ts [--scans 50] [--batch 1000] [--seconds 3]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../../src/config/settings.ts";
import type { Observation } from "../../src/inventory/observation.ts";
import { resolveProfile } from "../../src/portscan/profiles.ts";
import { ScanManager } from "../../src/scans/manager.ts";
import type { PipelineOutput } from "../../src/scans/pipeline.ts";
import { startServer } from "../../src/server.ts";

const { values } = parseArgs({ options: { scans: { type: "string", default: "50" }, batch: { type: "string", default: "1000" }, seconds: { type: "string", default: "3" } } });
const SCANS = Number(values.scans);
const BATCH = Number(values.batch);
const SECONDS = Number(values.seconds);

/** JSON lines of a child process. */
function lines(proc: ReturnType<typeof Bun.spawn>): any[] {
  const out: any[] = [];
  void (async () => {
    let buf = "";
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      buf += new TextDecoder().decode(chunk);
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        out.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    }
  })();
  return out;
}

async function until(fn: () => boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(1);
  }
}

const receiver = Bun.spawn([process.execPath, resolve(import.meta.dir, "notify-receiver.ts")], { stdout: "pipe", stderr: "inherit" });
const received = lines(receiver);
await until(() => received.length > 0);
const port = received.shift().port as number;
const arrival = new Map<number, number>();
const drainArrivals = () => {
  while (received.length) {
    const r = received.shift();
    for (const id of r.ids) arrival.set(id, r.at);
  }
};

const dataDir = mkdtempSync(join(tmpdir(), "argus-bench-notify-"));
writeFileSync(
  join(dataDir, "config.json"),
  JSON.stringify({ notifications: { channels: [{ name: "hook", type: "webhook", url: `http://127.0.0.1:${port}/hook`, secret: "bench" }], rules: [{ channels: ["hook"], digest: false }] } }),
);
const server = await startServer(loadSettings({ ARGUS_PORT: "0", ARGUS_HOST: "127.0.0.1", ARGUS_DATA_DIR: dataDir, ARGUS_LOG_LEVEL: "error" }));
try {
  const setup = await fetch(`${server.url}/api/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: "correct horse battery staple" }) });
  const cookie = setup.headers.getSetCookie()[0].split(";")[0];
  const key = (await (await fetch(`${server.url}/api/keys`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify({ name: "bench" }) })).json()).key as string;

  let next: Observation[] = [];
  const manager = new ScanManager(server.ctx.db, server.ctx.config, server.ctx.notifier, async (): Promise<PipelineOutput> => ({ observations: next, hostsTotal: next.length, portsScanned: 0, complete: false, degraded: false }), server.ctx.feed);
  let committedAt = 0;
  manager.subscribe((e) => {
    if (e.type === "finished") committedAt = Date.now();
  });
  let n = 0;
  const newHost = (): Observation => {
    n++;
    const ip = `10.${100 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
    return { ip, mac: `02:be:00:${((n >> 16) & 255).toString(16).padStart(2, "0")}:${((n >> 8) & 255).toString(16).padStart(2, "0")}:${(n & 255).toString(16).padStart(2, "0")}`, method: "arp", rtt_ms: 1, mac_randomized: false, vendor: "Bench", hostname: `bench-${n}`, hostname_source: "dns", device_type: null, os_name: null, ports: null };
  };
  const changeIds = (scanId: number) => (server.ctx.db.query("SELECT id FROM changes WHERE scan_id = ?").all(scanId) as { id: number }[]).map((r) => r.id);
  const scan = async (hosts: Observation[]) => {
    next = hosts;
    const { scan_id } = manager.start("network", resolveProfile("quick"), ["10.100.0.0/16"]);
    await manager.idle();
    return scan_id;
  };
  const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];

  // 1. Latency, one change at a time.
  const latencies: number[] = [];
  for (let i = 0; i < SCANS; i++) {
    const id = await scan([newHost()]);
    const [change] = changeIds(id);
    await until(() => (drainArrivals(), arrival.has(change)));
    latencies.push(arrival.get(change)! - committedAt);
  }
  latencies.sort((a, b) => a - b);
  console.log(`commit → webhook, ${SCANS} single-change scans: p50 ${q(latencies, 0.5)} ms, p95 ${q(latencies, 0.95)} ms, max ${latencies.at(-1)} ms (target p50 < 100 ms)`);

  // 2. The API on the idle server (reference), then around one scan that queues 1,000 messages.
  type Sample = [number, number];
  const probe = () => {
    const p = Bun.spawn([process.execPath, resolve(import.meta.dir, "api-load.ts"), `${server.url}/api/devices?limit=50`, key, String(SECONDS)], { stdout: "pipe", stderr: "inherit" });
    return new Response(p.stdout).json() as Promise<Sample[]>;
  };
  const stats = (xs: Sample[]) => {
    const l = xs.map((s) => s[1]).sort((a, b) => a - b);
    const r = (v: number | undefined) => (v === undefined ? NaN : Math.round(v * 100) / 100);
    return `p50 ${r(q(l, 0.5))} ms p99 ${r(q(l, 0.99))} ms max ${r(l.at(-1))} ms (${l.length} req)`;
  };
  const idle = await probe();
  const busy = probe();
  await Bun.sleep(300); // the probe process is up and sending
  const t0 = Date.now();
  const id = await scan(Array.from({ length: BATCH }, newHost));
  const commitMs = committedAt - t0;
  const ids = changeIds(id);
  await until(() => (drainArrivals(), ids.every((c) => arrival.has(c))));
  const lastArrival = Math.max(...ids.map((c) => arrival.get(c)!));
  const during = await busy;
  const rows = server.ctx.db.query("SELECT status, count(*) AS n FROM notifications WHERE scan_id = ? GROUP BY status").all(id);
  const drainMs = lastArrival - committedAt;
  console.log(`${BATCH} changes in one scan (digest off): reconcile+commit ${commitMs} ms (one transaction, blocks the process); all ${ids.length} webhooks received ${drainMs} ms after the commit (${Math.round((ids.length / Math.max(1, drainMs)) * 1000)} msg/s); rows ${JSON.stringify(rows)}`);
  const idleP99 = q(idle.map((s) => s[1]).sort((a, b) => a - b), 0.99);
  const drainSamples = during.filter(([at]) => at >= committedAt && at <= lastArrival);
  const drainP99 = q(drainSamples.map((s) => s[1]).sort((a, b) => a - b), 0.99);
  console.log(`GET /api/devices?limit=50, sequential from another process, ${SECONDS} s runs:`);
  console.log(`  idle server (reference):         ${stats(idle)}`);
  console.log(`  while the queue drains:          ${stats(drainSamples)} → p99 ${(drainP99 / idleP99).toFixed(2)}× idle (target < 20 ms)`);
  console.log(`  whole run incl. the 1,000-device reconcile: ${stats(during)}`);
} finally {
  receiver.kill();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
