#!/usr/bin/env bun
// Benchmark (not a test): the passive watch on the namespace test network (needs root, dnsmasq-base,
// busybox, python3).
//
// 1. Detection delay: a host joins with busybox udhcpc (DHCP from dnsmasq in another namespace);
//    time from starting the client (its DISCOVER leaves at once) to the device_added change being
//    visible in GET /api/changes (polled every 20 ms). p50 and max over --joins joins.
// 2. Listener CPU: the appliance's whole process CPU (all threads, /proc/<pid>/stat) over
//    --seconds windows at idle and under ARP background from --hosts known hosts at 1k and 10k
//    frames/s, with passive on (TPACKET_V3 ring), with passive on but the ring refused
//    (ARGUS_LISTEN_NO_RING=1: recvmmsg batches), and as the reference an appliance with
//    `passive: false` under the same traffic in the same run. Listener cost = on - off, in % of
//    one core. Kernel work done while frames are delivered (softirq) is charged to whichever process
//    runs then, mostly the sender: this measures the appliance's own cost.
//
// Usage: bun scripts/bench/passive.ts [--joins 20] [--seconds 10] [--hosts 50]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startNetServer, type NetServer } from "../../test/helpers/netserver.ts";
import { adminWithKey } from "../../test/helpers/server.ts";
import { startTestnet, type Testnet } from "../../test/helpers/testnet.ts";
import { gratuitousArp, SEND_FRAMES as SEND } from "../../test/helpers/frames.ts";

const { values } = parseArgs({ options: { joins: { type: "string", default: "20" }, seconds: { type: "string", default: "10" }, hosts: { type: "string", default: "50" } } });
const JOINS = Number(values.joins);
const SECONDS = Number(values.seconds);
const HOSTS = Number(values.hosts);

const ticks = (pid: number): number => {
  const stat = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8") as string;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (1/100 s)
};

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function sh(net: Testnet, ns: string, cmd: string[], stdin?: string): Promise<string> {
  const r = await net.nsExec(ns, cmd, { timeoutMs: 120_000, stdin });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} in ${ns}: ${r.stderr}`);
  return r.stdout;
}

/** ARP background: HOSTS known hosts (10.231.0.100+i) each asking for one of 20 neighbours, `rate` frames/s for `seconds`. */
function background(rate: number, seconds: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < rate * seconds; i++) {
    const h = i % HOSTS;
    const f = gratuitousArp(`00:1d:0f:01:00:${h.toString(16).padStart(2, "0")}`, `10.231.0.${100 + h}`);
    f[41] = 10 + ((i / HOSTS) | 0) % 20; // target address: one of 20 neighbours (a request, not an announcement)
    frames.push(f);
  }
  return frames;
}

async function cpuUnder(net: Testnet, server: NetServer, rate: number): Promise<{ core_pct: number; sent_pps: number }> {
  const pid = server.proc.pid;
  const before = ticks(pid);
  const t0 = performance.now();
  let sentPps = 0;
  if (rate === 0) await Bun.sleep(SECONDS * 1000);
  else {
    const frames = background(rate, SECONDS);
    const out = JSON.parse(await sh(net, net.truth.hosts[3].ns, ["python3", SEND, "--rate", String(rate)], frames.map((f) => Buffer.from(f).toString("hex")).join("\n") + "\n"));
    sentPps = out.sent / out.elapsed_s;
  }
  const secs = (performance.now() - t0) / 1000;
  return { core_pct: ((ticks(pid) - before) / 100 / secs) * 100, sent_pps: Math.round(sentPps) };
}

const net = await startTestnet({ hosts: 4 });
const dir = mkdtempSync(join(tmpdir(), "argus-bench-passive-"));
let dnsmasq: ReturnType<typeof Bun.spawn> | null = null;
const servers: NetServer[] = [];
try {
  const h = (n: number) => net.truth.hosts[n - 1];
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

  // 1. DHCP join → /api/changes
  const delays: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    const mac = `3c:07:54:02:00:${i.toString(16).padStart(2, "0")}`;
    const ns = h(2).ns;
    // A new MAC on a live link (a down/up would lose the first DISCOVER while the bridge port comes back).
    await sh(net, ns, ["ip", "addr", "flush", "dev", "eth0"]);
    await sh(net, ns, ["ip", "link", "set", "eth0", "address", mac]);
    const t0 = performance.now();
    const client = net.nsExec(ns, ["busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-A", "1", "-s", join(dir, "udhcpc.script"), "-x", `hostname:bench-${i}`]);
    for (;;) {
      const res = await api.get("/api/changes?change_type=device_added&limit=5");
      if ((res.body as any[]).some((c) => c.device_mac === mac)) break;
      if (performance.now() - t0 > 10_000) throw new Error(`join ${i} not seen within 10 s`);
      await Bun.sleep(20);
    }
    delays.push(performance.now() - t0);
    await client;
  }
  console.log(`DHCP join → /api/changes over ${JOINS} joins: p50 ${pct(delays, 50).toFixed(0)} ms, max ${Math.max(...delays).toFixed(0)} ms (min ${Math.min(...delays).toFixed(0)} ms)`);

  // 2. CPU in three configurations, each a fresh appliance on the same net and traffic.
  const warmUp = async () => {
    // The background hosts become known devices first (HOSTS is under the flood cap), and every frame
    // of the background is heard once: the windows measure the steady state of a chatty LAN.
    await sh(net, h(4).ns, ["python3", SEND, "--rate", "500"], background(HOSTS * 20, 1).map((f) => Buffer.from(f).toString("hex")).join("\n") + "\n");
    await Bun.sleep(2000);
  };
  const measure = async (s: NetServer) => {
    servers.push(s);
    await warmUp();
    const r: Record<number, { core_pct: number; sent_pps: number }> = {};
    for (const rate of [0, 1000, 10000]) r[rate] = await cpuUnder(net, s, rate);
    await s.close();
    return r;
  };
  const on = await measure(server);
  const noRing = await measure(await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet, ARGUS_LOG_LEVEL: "warn", ARGUS_LISTEN_NO_RING: "1" }));
  const offConfig = join(dir, "passive-off.json");
  writeFileSync(offConfig, JSON.stringify({ passive: false }));
  const off = await measure(await startNetServer(net, { ARGUS_SUBNETS: net.truth.lan_subnet, ARGUS_LOG_LEVEL: "warn", ARGUS_CONFIG: offConfig }));
  for (const rate of [0, 1000, 10000]) {
    const label = rate === 0 ? "idle" : `${rate / 1000}k ARP frames/s (sent ${on[rate].sent_pps}/${noRing[rate].sent_pps}/${off[rate].sent_pps} per s)`;
    const f = (x: number) => x.toFixed(2);
    console.log(
      `CPU ${label}: passive on ${f(on[rate].core_pct)} %, on without ring ${f(noRing[rate].core_pct)} %, off ${f(off[rate].core_pct)} % of a core` +
        ` → listener ${f(on[rate].core_pct - off[rate].core_pct)} % (without ring ${f(noRing[rate].core_pct - off[rate].core_pct)} %)`,
    );
  }
} finally {
  dnsmasq?.kill("SIGKILL");
  for (const s of servers) await s.close().catch(() => {});
  await net.down();
  rmSync(dir, { recursive: true, force: true });
}
