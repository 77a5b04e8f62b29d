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
import { openDatabase } from "../../src/db/database.ts";
import { toIso } from "../../src/time.ts";

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

// A deterministic generator (mulberry32) so runs are comparable.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

const VENDORS = ["Apple, Inc.", "Samsung Electronics Co.,Ltd", "Espressif Inc.", "Hewlett Packard", "Ubiquiti Inc", "Synology Incorporated", "Raspberry Pi Foundation", "Intel Corporate", null];
const TYPES = ["computer", "phone", "iot", "printer", "tv", "nas", "router", "unknown"];
const ZONES = ["IoT", "Servers", "Office", "Lab", "Guests", "Infrastructure", null, null];
const PORTS = [[22, "ssh"], [80, "http"], [443, "https"], [445, "smb"], [23, "telnet"], [3306, "mysql"], [6379, "redis"], [8080, "http"], [9100, "jetdirect"], [554, "rtsp"]] as const;
const LEVEL_OF: Record<string, string> = { telnet: "critical", smb: "high", mysql: "high", redis: "high", http: "medium", rtsp: "medium", ssh: "low", jetdirect: "low", https: "none" };
const RANK = ["none", "low", "medium", "high", "critical"];
const CHANGE_TYPES = ["device_added", "device_removed", "device_returned", "ip_changed", "mac_rotated", "mac_changed_for_ip", "port_opened", "port_closed", "service_changed"];
const SEVERITY: Record<string, string[]> = {
  device_added: ["warning"], device_removed: ["info"], device_returned: ["info"], ip_changed: ["info"], mac_rotated: ["info"],
  mac_changed_for_ip: ["warning"], port_opened: ["low", "medium", "high", "critical"], port_closed: ["info"], service_changed: ["info"],
};

function build(dataDir: string): void {
  const db = openDatabase(dataDir);
  const now = Date.now();
  const started = performance.now();
  db.transaction(() => {
    const scans = 2000;
    const scan = db.prepare(
      "INSERT INTO scans (scan_type, profile, subnet, status, started_at, finished_at, duration_seconds, hosts_total, hosts_found, open_ports, changes_count) VALUES ('network', ?, '10.0.0.0/16', 'completed', ?, ?, 30, 65534, ?, ?, ?)",
    );
    for (let s = 0; s < scans; s++) {
      const at = now - (scans - s) * 15 * 60_000;
      scan.run(s % 96 === 0 ? "normal" : "quick", toIso(at), toIso(at + 30_000), DEVICES - 200 + Math.floor(rand() * 200), 5000, Math.floor(CHANGES / scans));
    }
    const device = db.prepare(
      `INSERT INTO devices (id, mac_address, ip_address, mac_randomized, hostname, vendor, device_type, status, first_seen, last_seen, times_seen, zone, is_trusted, risk_level, risk_score, threat_summary, ports_known)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
    );
    const port = db.prepare("INSERT INTO ports (device_id, port, service, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)");
    const threat = db.prepare("INSERT INTO threats (device_id, port, level, description, recommendation) VALUES (?, ?, ?, ?, ?)");
    const address = db.prepare("INSERT INTO device_addresses (device_id, ip_address, first_seen, last_seen) VALUES (?, ?, ?, ?)");
    const sighting = db.prepare("INSERT INTO scan_devices (scan_id, device_id, ip_address, open_ports) VALUES (?, ?, ?, '[]')");
    for (let id = 1; id <= DEVICES; id++) {
      const ip = `10.0.${(id >> 8) & 255}.${id & 255}`;
      const mac = `02:00:00:${((id >> 16) & 255).toString(16).padStart(2, "0")}:${((id >> 8) & 255).toString(16).padStart(2, "0")}:${(id & 255).toString(16).padStart(2, "0")}`;
      const ports = rand() < 0.4 ? Array.from(new Set(Array.from({ length: 1 + Math.floor(rand() * 5) }, () => pick(PORTS)))) : [];
      const worst = ports.reduce((w, [, svc]) => Math.max(w, RANK.indexOf(LEVEL_OF[svc])), 0);
      const first = now - Math.floor(rand() * 90 * 86_400_000);
      const vendor = pick(VENDORS);
      device.run(
        id, mac, ip, rand() < 0.1 ? 1 : 0, rand() < 0.7 ? `host-${id}.lan` : null, vendor, pick(TYPES), rand() < 0.8 ? "online" : "offline",
        toIso(first), toIso(now - Math.floor(rand() * 3_600_000)), 1 + Math.floor(rand() * 3000), pick(ZONES), rand() < 0.05 ? 1 : 0,
        RANK[worst], worst === 0 ? 0 : [0, 10, 40, 65, 85][worst] + ports.length, worst === 0 ? null : `${ports.length} findings`,
      );
      for (const [p, svc] of ports) {
        port.run(id, p, svc, toIso(first), toIso(now));
        if (LEVEL_OF[svc] !== "none") threat.run(id, p, LEVEL_OF[svc], `${svc} reachable`, `Restrict ${svc}`);
      }
      address.run(id, ip, toIso(first), toIso(now));
      sighting.run(scans, id, ip);
    }
    const change = db.prepare(
      "INSERT INTO changes (scan_id, device_id, device_ip, device_mac, change_type, severity, old_value, new_value, description, detected_at, acknowledged) VALUES (?, ?, ?, NULL, ?, ?, NULL, ?, ?, ?, ?)",
    );
    const perScan = CHANGES / scans;
    for (let n = 0; n < CHANGES; n++) {
      const scanId = 1 + Math.floor(n / perScan);
      const id = 1 + Math.floor(rand() * DEVICES);
      const type = pick(CHANGE_TYPES);
      const ip = `10.0.${(id >> 8) & 255}.${id & 255}`;
      change.run(scanId, id, ip, type, pick(SEVERITY[type]), ip, `${type} on ${ip}`, toIso(now - (scans - scanId) * 15 * 60_000), rand() < 0.7 ? 1 : 0);
    }
  })();
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  console.log(`built ${DEVICES} devices and ${CHANGES} changes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

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
  if (!values.data) build(dataDir);
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
