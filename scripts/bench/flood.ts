#!/usr/bin/env bun
// Benchmark (not a test): the passive watch under a flood of random MACs on the namespace test
// network (needs root, cc, dnsmasq-base, busybox). The flood comes from test/passive/flood-sender.c
// in a LAN host's namespace; every frame has a new random MAC (the native repeat filter passes all).
//
// 1. Reference, same run: a real DHCP join (busybox udhcpc against dnsmasq) with no flood → time
//    until the device is in GET /api/devices; /health latency (p50/p99, polled every 20 ms) idle.
// 2. Flood: gratuitous ARP from random MACs at --rate (default 20,000/s) for --seconds (default 50:
//    1M distinct MACs). During it: the same join (timed the same way), /health p50/p99, the
//    appliance's CPU (whole process, /proc/<pid>/stat), and its RSS before and after.
// 3. CPU at 10,000 random-MAC frames/s for 10 s: passive on vs an appliance with `passive: false`
//    under the same traffic (reference) → the listener's cost in % of one core.
//
// Usage: bun scripts/bench/flood.ts [--rate 20000] [--seconds 50]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startNetServer, type NetServer } from "../../test/helpers/netserver.ts";
import { adminWithKey, type Client } from "../../test/helpers/server.ts";
import { startTestnet, type Testnet } from "../../test/helpers/testnet.ts";

const { values } = parseArgs({ options: { rate: { type: "string", default: "20000" }, seconds: { type: "string", default: "50" } } });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const SENDER = resolve(import.meta.dir, "../../test/passive/flood-sender.c");

const stat = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const x = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return { ticks: Number(x[11]) + Number(x[12]), rssMb: (Number(x[21]) * 4096) / 2 ** 20 };
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const f1 = (x: number) => x.toFixed(1);

async function sh(net: Testnet, ns: string, cmd: string[]): Promise<string> {
  const r = await net.nsExec(ns, cmd, { timeoutMs: 600_000 });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} in ${ns}: ${r.stderr}`);
  return r.stdout;
}

/** /health latencies, every 20 ms, until `done` resolves. */
async function healthDuring(server: NetServer, done: Promise<unknown>): Promise<number[]> {
  let over = false;
  void done.finally(() => (over = true));
  const out: number[] = [];
  while (!over) {
    const t0 = performance.now();
    const res = await fetch("http://argus/health", { unix: server.socket } as RequestInit);
    await res.arrayBuffer();
    out.push(performance.now() - t0);
    await Bun.sleep(20);
  }
  return out;
}

const net = await startTestnet({ hosts: 3 });
const dir = mkdtempSync(join(tmpdir(), "argus-bench-flood-"));
let dnsmasq: ReturnType<typeof Bun.spawn> | null = null;
const servers: NetServer[] = [];
try {
  const h = (n: number) => net.truth.hosts[n - 1];
  const cc = Bun.spawnSync(["cc", "-O2", "-o", join(dir, "flood-sender"), SENDER], { stderr: "pipe" });
  if (cc.exitCode !== 0) throw new Error(`cc: ${cc.stderr}`);
  const flood = (rate: number, seconds: number) =>
    sh(net, h(3).ns, [join(dir, "flood-sender"), "--kind", "arp", "--rate", String(rate), "--seconds", String(seconds), "--seed", String(Date.now())]).then((o) => JSON.parse(o) as { sent: number; elapsed_s: number });
  writeFileSync(join(dir, "udhcpc.script"), '#!/bin/sh\ncase "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface";; esac\nexit 0\n', { mode: 0o755 });
  dnsmasq = Bun.spawn(
    ["ip", "netns", "exec", h(1).ns, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=eth0", "--bind-interfaces", "--user=root", "--group=root",
      "--dhcp-range=10.231.0.160,10.231.0.250,255.255.255.0,10m", "--dhcp-authoritative", "--no-ping", "--leasefile-ro", "--quiet-dhcp"],
    { stdout: "ignore", stderr: "ignore" },
  );
  const server = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet, ARGUS_LOG_LEVEL: "warn" });
  servers.push(server);
  const { key } = await adminWithKey(server);
  const api = server.client({ "X-API-Key": key });

  let joins = 0;
  /** A DHCP join from h2 with a new MAC: ms from starting udhcpc until the device is in /api/devices. */
  const join_ = async (a: Client): Promise<number> => {
    const mac = `3c:07:54:03:00:${(joins++).toString(16).padStart(2, "0")}`;
    const ns = h(2).ns;
    await sh(net, ns, ["ip", "addr", "flush", "dev", "eth0"]);
    await sh(net, ns, ["ip", "link", "set", "eth0", "address", mac]);
    const t0 = performance.now();
    // -B: broadcast replies, so the listener hears the server's ACK (the completed handshake).
    const client = net.nsExec(ns, ["busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-B", "-t", "5", "-T", "1", "-A", "1", "-s", join(dir, "udhcpc.script"), "-x", `hostname:bench-${joins}`]);
    for (;;) {
      const res = await a.get(`/api/devices?q=${mac}`);
      if ((res.body as any[]).some((d) => d.mac_address === mac)) break;
      if (performance.now() - t0 > 15_000) return Infinity;
      await Bun.sleep(20);
    }
    const ms = performance.now() - t0;
    await client;
    return ms;
  };

  // 1. Reference: idle /health, a join without a flood.
  const idleHealth = await healthDuring(server, Bun.sleep(5000));
  const quietJoin = await join_(api);
  const rss0 = stat(server.proc.pid).rssMb;

  // 2. The flood.
  const before = stat(server.proc.pid);
  const t0 = performance.now();
  const sending = flood(RATE, SECONDS);
  const joinDuring = (async () => {
    await Bun.sleep(Math.min(5000, (SECONDS * 1000) / 3));
    return join_(api);
  })();
  const floodHealth = await healthDuring(server, sending);
  const sent = await sending;
  const cpuFlood = ((stat(server.proc.pid).ticks - before.ticks) / 100 / ((performance.now() - t0) / 1000)) * 100;
  const floodJoin = await joinDuring;
  await Bun.sleep(2000);
  const rss1 = stat(server.proc.pid).rssMb;
  const passive = (await api.get("/api/passive")).body;
  const devices = Number((await api.get("/api/devices?limit=1")).headers.get("x-total-count"));

  // 3. CPU at 10k random-MAC frames/s: passive on vs off.
  const cpuAt = async (s: NetServer) => {
    const b = stat(s.proc.pid).ticks;
    const start = performance.now();
    await flood(10_000, 10);
    return ((stat(s.proc.pid).ticks - b) / 100 / ((performance.now() - start) / 1000)) * 100;
  };
  const on10k = await cpuAt(server);
  await server.close();
  const offConfig = join(dir, "passive-off.json");
  writeFileSync(offConfig, JSON.stringify({ passive: false }));
  const off = await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet, ARGUS_LOG_LEVEL: "warn", ARGUS_CONFIG: offConfig });
  servers.push(off);
  const off10k = await cpuAt(off);

  console.log(`flood: ${sent.sent} random-MAC ARP frames in ${f1(sent.elapsed_s)} s (${Math.round(sent.sent / sent.elapsed_s)}/s); listener: ${passive.frames} frames, ${passive.sightings} sightings, ${passive.overflow} lost to queue overflow, ${passive.kernel_drops} kernel drops; ${devices} devices after it`);
  console.log(`DHCP join → /api/devices: ${f1(floodJoin)} ms during the flood vs ${f1(quietJoin)} ms without (reference) → ${(floodJoin / quietJoin).toFixed(2)}×  [target < 3000 ms]`);
  console.log(`/health: p50 ${f1(pct(floodHealth, 50))} ms, p99 ${f1(pct(floodHealth, 99))} ms, max ${f1(Math.max(...floodHealth))} ms during the flood (${floodHealth.length} requests) vs idle p50 ${f1(pct(idleHealth, 50))} ms, p99 ${f1(pct(idleHealth, 99))} ms  [target p99 < 100 ms]`);
  console.log(`CPU during the ${Math.round(sent.sent / sent.elapsed_s)}/s flood: ${f1(cpuFlood)} % of a core`);
  console.log(`CPU at 10k random-MAC frames/s: passive on ${f1(on10k)} %, off (reference) ${f1(off10k)} % → listener ${f1(on10k - off10k)} % of a core  [target < 5 %]`);
  console.log(`RSS: ${f1(rss0)} MB before, ${f1(rss1)} MB after ${sent.sent} distinct MACs → +${f1(rss1 - rss0)} MB  [target < 50 MB]`);
} finally {
  dnsmasq?.kill("SIGKILL");
  for (const s of servers) await s.close().catch(() => {});
  await net.down();
  rmSync(dir, { recursive: true, force: true });
}
