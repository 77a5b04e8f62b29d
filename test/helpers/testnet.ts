// Test network for scanner tests and benchmarks: wraps scripts/testnet.sh (network
// namespaces only; nothing in, and no traffic from, this machine's own namespace).
//
//   if (requireRoot("builds network namespaces")) { ... }   // or describe.skipIf(!root)
//   const net = await startTestnet({ hosts: 8, deaf: 1, routed: 2 });
//   try { await net.exec(["ip", "neigh"]); net.truth.hosts ... } finally { await net.down(); }
//   await withTestnet({ hosts: 4 }, async (net) => { ... });   // same, with teardown built in
//
// Every net gets its own prefix (pid + random), so parallel test files do not collide.
// Nets still up when the process exits (or gets SIGINT/SIGTERM) are torn down then.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const TESTNET_SCRIPT = resolve(import.meta.dir, "../../scripts/testnet.sh");
export const PROBE_SCRIPT = resolve(import.meta.dir, "../../scripts/testnet/probe.py");

export type Behaviour = "normal" | "lossy" | "slow" | "deaf" | "routed" | "sim";

export interface TruthHost {
  ip: string;
  /** null for routed hosts: their MAC never reaches the scanner's LAN. */
  mac: string | null;
  ns: string;
  behaviour: Behaviour;
  /** How a scanner can see it: "arp" on the LAN / simulated /16, "icmp" behind the router. */
  via: "arp" | "icmp";
  /** Set on the router's LAN leg (behaviour "normal"), which any LAN sweep finds. */
  role?: "router";
  loss_pct?: number;
  arp_delay_ms?: [number, number];
}

export interface Truth {
  prefix: string;
  scanner_ns: string;
  scanner_iface: "eth0";
  scanner_ip: string;
  scanner_mac: string;
  lan_subnet: string;
  routed_subnet: string | null;
  router_ip: string | null;
  sim_subnet: string | null;
  /** The scanner's own address in the simulated subnet (directly attached). */
  sim_scanner_ip: string | null;
  mac_mode: "local" | "vendor";
  hosts: TruthHost[];
}

export interface TestnetOptions {
  /** LAN host namespaces (includes the lossy/slow/deaf ones). */
  hosts?: number;
  lossy?: number;
  slow?: number;
  deaf?: number;
  /** Hosts behind the router on the routed subnet (adds the router to the LAN). */
  routed?: number;
  simNet?: string;
  simHosts?: number;
  simSeed?: number;
  /** Share of ARP/echo requests lossy hosts drop (default 30). */
  lossPct?: number;
  /** Real vendor OUIs instead of locally administered 02:a7:… MACs. */
  vendorMacs?: boolean;
  slowDelayMs?: [number, number];
  lan?: string;
  routedNet?: string;
  /** Defaults to a fresh one; [a-z0-9]{1,8}. */
  prefix?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Kill the command (SIGKILL) after this long; default 30 s. */
  timeoutMs?: number;
  stdin?: string;
}

export interface SpawnOptions {
  stdin?: "ignore" | "pipe" | "inherit";
  stdout?: "ignore" | "pipe" | "inherit";
  stderr?: "ignore" | "pipe" | "inherit";
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface ProbeOptions {
  count?: number;
  intervalMs?: number;
  rate?: number;
  waitMs?: number;
  /** ARP sender address; defaults to the scanner's LAN address. */
  src?: string;
}

export interface ProbeResult {
  sent: number;
  elapsed_s: number;
  send_pps: number;
  replies: number;
  last_reply_s: number | null;
  answered: Record<string, { replies: number; rtt_ms: number[]; macs?: string[] }>;
}

export interface Testnet {
  prefix: string;
  truth: Truth;
  /** Runs a command inside the scanner namespace. */
  exec(cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Runs a command inside any namespace of this net (e.g. a host's, to look at its counters). */
  nsExec(ns: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Starts a long-running process in the scanner namespace; `down()` kills whatever is left. */
  spawn(cmd: string[], opts?: SpawnOptions): ReturnType<typeof Bun.spawn>;
  /** The independent reference prober (scripts/testnet/probe.py) run from the scanner namespace. */
  probe(mode: "arp" | "ping", targets: string[], opts?: ProbeOptions): Promise<ProbeResult>;
  /** Hosts of the truth with one of these behaviours. */
  hostsWith(...b: Behaviour[]): TruthHost[];
  down(): Promise<void>;
}

/** True when running as root. Otherwise says why the caller skips, and under CI=true throws (a skip there is a failure). */
export { requireRoot } from "./require.ts";

/** A fresh per-run prefix: "t" + pid (base 36, last 3 chars) + 4 random base-36 chars. */
export function newPrefix(): string {
  const pid = process.pid.toString(36).slice(-3);
  const rnd = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, "0");
  return `t${pid}${rnd}`;
}

const live = new Set<string>();
let handlersInstalled = false;

function downSync(prefix: string) {
  spawnSync(TESTNET_SCRIPT, ["down", "--prefix", prefix], { stdio: "ignore" });
}

// A test that crashes, times out or is interrupted must not leave namespaces behind.
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", () => {
    for (const p of live) downSync(p);
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      for (const p of live) downSync(p);
      live.clear();
      process.exit(sig === "SIGINT" ? 130 : 143);
    });
  }
}

function upArgs(prefix: string, o: TestnetOptions, out: string): string[] {
  const a = ["up", "--prefix", prefix, "--out", out];
  const num = (flag: string, v: number | undefined) => {
    if (v !== undefined) a.push(flag, String(v));
  };
  num("--hosts", o.hosts);
  num("--lossy", o.lossy);
  num("--slow", o.slow);
  num("--deaf", o.deaf);
  num("--routed", o.routed);
  num("--sim-hosts", o.simHosts);
  num("--sim-seed", o.simSeed);
  num("--loss-pct", o.lossPct);
  if (o.simNet) a.push("--sim-net", o.simNet);
  if (o.vendorMacs) a.push("--vendor-macs");
  if (o.slowDelayMs) a.push("--slow-delay-ms", `${o.slowDelayMs[0]}-${o.slowDelayMs[1]}`);
  if (o.lan) a.push("--lan", o.lan);
  if (o.routedNet) a.push("--routed-net", o.routedNet);
  return a;
}

async function run(cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const proc = Bun.spawn(cmd, {
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
  try {
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { exitCode, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

export async function startTestnet(opts: TestnetOptions = {}): Promise<Testnet> {
  const prefix = opts.prefix ?? newPrefix();
  installExitHandlers();
  const dir = mkdtempSync(join(tmpdir(), "argus-testnet-"));
  const out = join(dir, "truth.json");
  live.add(prefix);
  // `bun test` fires no exit event, and a timed-out test may never reach its teardown: a shell
  // waits for this process to end and then takes the net down (a no-op when down() came first).
  // It is double-forked so that bun, which kills the processes a test spawned, does not see it.
  Bun.spawnSync([
    "sh",
    "-c",
    '(while kill -0 "$0" 2>/dev/null; do sleep 1; done; "$1" down --prefix "$2") </dev/null >/dev/null 2>&1 &',
    String(process.pid),
    TESTNET_SCRIPT,
    prefix,
  ]);
  let truth: Truth;
  try {
    const r = await run([TESTNET_SCRIPT, ...upArgs(prefix, opts, out)], { timeoutMs: 120_000 });
    if (r.exitCode !== 0) throw new Error(`testnet up failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    truth = JSON.parse(readFileSync(out, "utf8"));
  } catch (e) {
    downSync(prefix); // up cleans up after itself, but not if it was killed
    live.delete(prefix);
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const nsExec = (ns: string, cmd: string[], o?: ExecOptions) => {
    if (!ns.startsWith(`${prefix}-`)) throw new Error(`namespace ${ns} is not part of testnet ${prefix}`);
    return run(["ip", "netns", "exec", ns, ...cmd], o);
  };
  const net: Testnet = {
    prefix,
    truth,
    nsExec,
    exec: (cmd, o) => nsExec(truth.scanner_ns, cmd, o),
    spawn: (cmd, o = {}) => Bun.spawn(["ip", "netns", "exec", truth.scanner_ns, ...cmd], o),
    async probe(mode, targets, o = {}) {
      const args = [process.env.PYTHON ?? "python3", PROBE_SCRIPT, mode, "--iface", truth.scanner_iface];
      if (mode === "arp") args.push("--src", o.src ?? truth.scanner_ip);
      if (o.count !== undefined) args.push("--count", String(o.count));
      if (o.intervalMs !== undefined) args.push("--interval", String(o.intervalMs));
      if (o.rate !== undefined) args.push("--rate", String(o.rate));
      if (o.waitMs !== undefined) args.push("--wait", String(o.waitMs));
      const r = await nsExec(truth.scanner_ns, [...args, ...targets], { timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new Error(`probe ${mode} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
      return JSON.parse(r.stdout) as ProbeResult;
    },
    hostsWith: (...b) => truth.hosts.filter((h) => b.includes(h.behaviour)),
    async down() {
      const r = await run([TESTNET_SCRIPT, "down", "--prefix", prefix], { timeoutMs: 60_000 });
      if (r.exitCode !== 0) throw new Error(`testnet down failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
      live.delete(prefix);
    },
  };
  return net;
}

/** Brings a net up, runs fn, always tears the net down (also when fn throws). */
export async function withTestnet<T>(opts: TestnetOptions, fn: (net: Testnet) => Promise<T>): Promise<T> {
  const net = await startTestnet(opts);
  try {
    return await fn(net);
  } finally {
    await net.down();
  }
}
