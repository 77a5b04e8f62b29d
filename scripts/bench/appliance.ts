// Measures the compiled appliance (see appliance.sh, which builds it and calls this):
//   sizes, start-to-/health (fresh data dir and restart), idle RSS, RSS during a /24 `normal` scan.
// It runs in a network namespace with loopback only (appliance.sh makes it, and this refuses to run
// anywhere else): the appliances it starts cannot see, hear or scan this machine's networks. The
// scan runs inside a namespace test network (scripts/testnet.sh).
//
// Idle RSS is measured for the binary and, in the same run, alternately, for --reference (the
// binary of an earlier commit, see appliance.sh): medians of --rss-runs each.
//
//   bun scripts/bench/appliance.ts --binary dist/argus-linux-x64 [--compare BINARY] [--reference BINARY --reference-name REV]
//     [--runs 10] [--rss-runs 3] [--hosts 30] [--no-scan]
import { mkdtempSync, rmSync, statSync, readFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startTestnet } from "../../test/helpers/testnet.ts";

type Opts = { binary: string; compare: string[]; runs: number; rssRuns: number; hosts: number; scan: boolean; arm64?: string; reference?: string; referenceName: string };

/** The RSS issue 17 remembers for the layout before issues 11-16 (not measured here). */
const REMEMBERED_PREVIOUS_MIB = 48;

function parse(argv: string[]): Opts {
  const o: Opts = { binary: "dist/argus-linux-x64", compare: [], runs: 10, rssRuns: 3, hosts: 30, scan: true, referenceName: "reference" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--binary") o.binary = argv[++i];
    else if (a === "--compare") o.compare.push(argv[++i]);
    else if (a === "--arm64") o.arm64 = argv[++i];
    else if (a === "--runs") o.runs = Number(argv[++i]);
    else if (a === "--rss-runs") o.rssRuns = Number(argv[++i]);
    else if (a === "--reference") o.reference = resolve(argv[++i]);
    else if (a === "--reference-name") o.referenceName = argv[++i];
    else if (a === "--hosts") o.hosts = Number(argv[++i]);
    else if (a === "--no-scan") o.scan = false;
    else throw new Error(`unknown option ${a}`);
  }
  o.binary = resolve(o.binary);
  return o;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function rssKiB(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? 0);
  return { rss: field("VmRSS"), hwm: field("VmHWM"), anon: field("RssAnon"), file: field("RssFile") };
}

/**
 * Drops the binary from the page cache, so that every run starts as after a reboot. A binary just
 * written (built, copied) sits in large folios that the kernel maps whole on a fault: the same binary
 * then shows 2-3 MiB more RssFile than once it has been read back from disk.
 */
function evict(binary: string) {
  Bun.spawnSync(["dd", `if=${binary}`, "iflag=nocache", "count=0"], { stdout: "ignore", stderr: "ignore" });
}

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

/** Spawns `serve`, returns ms until /health first answers 200. */
/**
 * The variables systemd/argus.service gives the service (`Environment=` lines, unquoted K=V words,
 * the engine and allocator settings): the appliance "as installed".
 */
function unitEnv(): Record<string, string> {
  const unit = readFileSync(resolve(import.meta.dir, "../../systemd/argus.service"), "utf8");
  const out: Record<string, string> = {};
  for (const line of unit.split("\n")) {
    const m = /^Environment=(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const word of m[1].split(/\s+/)) {
      const eq = word.indexOf("=");
      if (eq > 0 && !word.startsWith("ARGUS_")) out[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return out;
}

async function startOnce(binary: string, dataDir: string, cmdPrefix: string[] = [], extraEnv: Record<string, string> = {}): Promise<{ ms: number; proc: ReturnType<typeof Bun.spawn>; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const proc = Bun.spawn([...cmdPrefix, binary, "serve"], {
    env: { PATH: "/usr/bin:/bin", ARGUS_DATA_DIR: dataDir, ARGUS_HOST: "127.0.0.1", ARGUS_PORT: String(port), ARGUS_LOG_LEVEL: "warn", ...extraEnv },
    stdout: "ignore",
    stderr: "inherit",
  });
  for (;;) {
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null) throw new Error(`${binary} exited with ${proc.exitCode}`);
    await Bun.sleep(2);
  }
  return { ms: performance.now() - t0, proc, url };
}

async function stop(proc: ReturnType<typeof Bun.spawn>) {
  proc.kill("SIGTERM");
  await proc.exited;
}

async function startup(binary: string, runs: number): Promise<{ fresh: number[]; restart: number[] }> {
  const fresh: number[] = [];
  const restart: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), "argus-bench-"));
    try {
      const a = await startOnce(binary, dir);
      fresh.push(a.ms);
      await stop(a.proc);
      const b = await startOnce(binary, dir);
      restart.push(b.ms);
      await stop(b.proc);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { fresh, restart };
}

type IdleRss = { started: number; rss: number; hwm: number; anon: number; file: number };

async function idleRss(binary: string, env: Record<string, string>): Promise<IdleRss> {
  evict(binary);
  const dir = mkdtempSync(join(tmpdir(), "argus-bench-"));
  try {
    const s = await startOnce(binary, dir, [], env);
    await Bun.sleep(2000);
    const started = rssKiB(s.proc.pid).rss;
    // A used, idle appliance: setup done, a key made, the UI and a few API pages fetched.
    const setup = await fetch(`${s.url}/api/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: "benchmark password" }) });
    const cookie = setup.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const key = (await (await fetch(`${s.url}/api/keys`, { method: "POST", headers: { "content-type": "application/json", cookie, origin: s.url }, body: JSON.stringify({ name: "bench" }) })).json()).key;
    for (const p of ["/", "/ui/app.js", "/ui/app.css", "/api/devices", "/api/stats", "/api/scans", "/openapi.json"]) await (await fetch(`${s.url}${p}`, { headers: { "X-API-Key": key, cookie } })).arrayBuffer();
    await Bun.sleep(10_000);
    const m = rssKiB(s.proc.pid);
    await stop(s.proc);
    return { started, ...m };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scanRss(binary: string, hosts: number) {
  const net = await startTestnet({ hosts, vendorMacs: true });
  const dir = mkdtempSync(join(tmpdir(), "argus-bench-"));
  const curl = async (method: string, path: string, opts: { key?: string; json?: unknown } = {}) => {
    const args = ["curl", "-sS", "-X", method];
    if (opts.key) args.push("-H", `X-API-Key: ${opts.key}`);
    if (opts.json !== undefined) args.push("-H", "content-type: application/json", "--data-binary", JSON.stringify(opts.json));
    const r = await net.exec([...args, `http://127.0.0.1:18090${path}`]);
    return r.stdout ? JSON.parse(r.stdout) : null;
  };
  try {
    const proc = net.spawn([binary, "serve"], {
      env: { PATH: "/usr/bin:/bin", ARGUS_DATA_DIR: dir, ARGUS_HOST: "127.0.0.1", ARGUS_PORT: "18090", ARGUS_LOG_LEVEL: "warn" },
      stdout: "ignore",
      stderr: "inherit",
    });
    for (;;) {
      const r = await net.exec(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:18090/health"]);
      if (r.stdout === "200") break;
      await Bun.sleep(20);
    }
    await curl("POST", "/api/setup", { json: { username: "admin", password: "benchmark password" } });
    const keyRun = Bun.spawnSync([binary, "keys", "create", "bench"], { env: { PATH: "/usr/bin:/bin", ARGUS_DATA_DIR: dir } });
    const key = keyRun.stdout.toString().trim();
    await Bun.sleep(2000);
    const before = rssKiB(proc.pid);
    const t0 = performance.now();
    const trig = await curl("POST", `/api/scan/trigger?profile=normal&subnet=${encodeURIComponent(net.truth.lan_subnet)}`, { key });
    let peak = 0;
    for (;;) {
      peak = Math.max(peak, rssKiB(proc.pid).rss);
      const st = await curl("GET", "/api/scan/status", { key });
      if (!st.scanning) break;
      await Bun.sleep(100);
    }
    const seconds = (performance.now() - t0) / 1000;
    const scan = await curl("GET", `/api/scans/${trig.scan_id}`, { key });
    await Bun.sleep(5000);
    const after = rssKiB(proc.pid);
    proc.kill("SIGTERM");
    await proc.exited;
    return { before, peak, after, seconds, scan };
  } finally {
    await net.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Only loopback in this namespace: nothing started here can reach this machine's networks. */
function assertLoopbackOnly() {
  const others = Object.keys(networkInterfaces()).filter((name) => name !== "lo");
  const links = readFileSync("/proc/net/dev", "utf8").split("\n").slice(2).map((l) => l.split(":")[0].trim()).filter((n) => n && n !== "lo");
  if (others.length > 0 || links.length > 0) {
    throw new Error(`refusing to run with network interfaces other than loopback (${[...new Set([...others, ...links])].join(", ")}): use scripts/bench/appliance.sh`);
  }
}

const mibOf = (kib: number) => (kib / 1024).toFixed(1);

async function main() {
  assertLoopbackOnly();
  const o = parse(process.argv.slice(2));
  console.log(`# Argus appliance benchmark (${new Date().toISOString()}, ${o.binary})\n`);
  for (const b of [o.binary, ...(o.arm64 ? [o.arm64] : [])]) console.log(`size ${b.split("/").pop()}: ${mib(statSync(b).size)} (${statSync(b).size} bytes)`);
  for (const b of [o.binary, ...o.compare]) {
    const s = await startup(b, o.runs);
    console.log(
      `start-to-/health ${b.split("/").slice(-2).join("/")} over ${o.runs} runs: fresh data dir median ${median(s.fresh).toFixed(0)} ms ` +
        `(min ${Math.min(...s.fresh).toFixed(0)}, max ${Math.max(...s.fresh).toFixed(0)}); restart median ${median(s.restart).toFixed(0)} ms ` +
        `(min ${Math.min(...s.restart).toFixed(0)}, max ${Math.max(...s.restart).toFixed(0)})`,
    );
  }
  // Alternately, so that both see the same load on the machine; each as installed (with the unit's
  // engine and allocator settings) and as started by hand (without them).
  const installed = unitEnv();
  const modes: [string, Record<string, string>][] = [
    [`as installed (${Object.entries(installed).map(([k, v]) => `${k}=${v}`).join(" ")})`, installed],
    ["started by hand (no variables)", {}],
  ];
  const line = (name: string, runs: IdleRss[]) =>
    `${name}: ${mibOf(median(runs.map((r) => r.rss)))} MiB idle after use (runs ${runs.map((r) => mibOf(r.rss)).join(", ")}; ` +
    `RssAnon ${mibOf(median(runs.map((r) => r.anon)))}, RssFile ${mibOf(median(runs.map((r) => r.file)))}), ` +
    `${mibOf(median(runs.map((r) => r.started)))} MiB 2 s after start, peak ${mibOf(Math.max(...runs.map((r) => r.hwm)))} MiB`;
  console.log(`idle RSS (median of ${o.rssRuns}; setup done, a key made, UI and API fetched, 10 s idle):`);
  for (const [mode, env] of modes) {
    const ours: IdleRss[] = [];
    const theirs: IdleRss[] = [];
    for (let i = 0; i < o.rssRuns; i++) {
      ours.push(await idleRss(o.binary, env));
      if (o.reference) theirs.push(await idleRss(o.reference, env));
    }
    console.log(` ${mode}:`);
    console.log(`  ${line("this build", ours)}`);
    if (o.reference) {
      console.log(`  ${line(`${o.referenceName} (same run)`, theirs)}`);
      console.log(`  ratio ${(median(ours.map((r) => r.rss)) / median(theirs.map((r) => r.rss))).toFixed(2)} of ${o.referenceName}`);
    }
  }
  console.log(`  previous layout (issue 17, remembered, not measured here): ${REMEMBERED_PREVIOUS_MIB} MiB; target < 60 MiB`);
  if (o.scan) {
    if (process.getuid?.() !== 0) {
      console.log("scan RSS: skipped (needs root for the namespace test network)");
      return;
    }
    // A scan looks vendors up: the reference loads its registry then, this build has it from the start.
    for (const [name, binary] of [["this build", o.binary], ...(o.reference ? [[`${o.referenceName} (same run)`, o.reference]] : [])] as [string, string][]) {
      const r = await scanRss(binary, o.hosts);
      console.log(
        `${name}: normal scan of ${r.scan.subnet} (${r.scan.hosts_found} hosts up, ${r.scan.ports_scanned} port probes, ${r.scan.open_ports} open, status ${r.scan.status}) in ${r.seconds.toFixed(1)} s: ` +
          `RSS before ${(r.before.rss / 1024).toFixed(1)} MiB, peak during ${(r.peak / 1024).toFixed(1)} MiB, 5 s after ${(r.after.rss / 1024).toFixed(1)} MiB`,
      );
    }
  }
}

await main();
