#!/usr/bin/env bun
// Benchmark (not a test): several segments, one inventory (issue 21), on namespace test networks
// (needs root and Debian's mosquitto). A management LAN holds the broker (Mosquitto with passwords
// and an ACL, as the README sets it up) and the hub; one sensor watches its own LAN and reaches the
// broker through an extra interface on the management LAN's bridge.
//
// 1. Sighting → hub change: a new MAC's gratuitous ARP sent on the sensor's LAN, to its device_added
//    visible in the hub's GET /api/changes (polled every 20 ms). p50 and max over --joins.
// 2. Sustained events into the hub: a publisher with the sensor's credentials sends --events
//    protocol messages (one new device and its device_added each, numbered as a sensor numbers them)
//    as fast as the broker takes them (QoS 1, 64 in flight); events/s = messages / time until the
//    hub has applied the last one (its device count).
// 3. Hub API under that load: GET /api/devices?limit=50 from another process, p50/p99, while the
//    events of 2 arrive, against the same with no load just before.
//
// Usage: bun scripts/bench/segments.ts [--joins 20] [--events 5000]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gratuitousArp, SEND_FRAMES } from "../../test/helpers/frames.ts";
import { startNetServer, type NetServer } from "../../test/helpers/netserver.ts";
import { tool } from "../../test/helpers/require.ts";
import { adminWithKey, type Client } from "../../test/helpers/server.ts";
import { startTestnet, type Testnet } from "../../test/helpers/testnet.ts";

const { values } = parseArgs({ options: { joins: { type: "string", default: "20" }, events: { type: "string", default: "5000" } } });
const JOINS = Number(values.joins);
const EVENTS = Number(values.events);
const BROKER = "10.78.9.10";
const ROOT = resolve(import.meta.dir, "../..");
const mosquitto = tool("mosquitto");
if (!mosquitto) throw new Error("needs Debian's mosquitto");

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (x: number) => Math.round(x * 10) / 10;

function run(cmd: string[], stdin?: string): string {
  const r = Bun.spawnSync(cmd, { stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin), stderr: "pipe", stdout: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** GET /api/devices?limit=50 latencies (ms) for `seconds`, from a separate process over the hub's unix socket. */
async function probe(socket: string, key: string, seconds: number): Promise<number[]> {
  const code = `const s=[];const end=performance.now()+${seconds * 1000};while(performance.now()<end){const t=performance.now();const r=await fetch("http://argus/api/devices?limit=50",{unix:${JSON.stringify(socket)},headers:{"x-api-key":${JSON.stringify(key)}}});await r.arrayBuffer();if(r.status!==200)throw new Error("HTTP "+r.status);s.push(performance.now()-t);}console.log(JSON.stringify(s));`;
  const p = Bun.spawn([process.execPath, "-e", code], { stdout: "pipe", stderr: "inherit" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return JSON.parse(out);
}

const scratch = mkdtempSync(join(tmpdir(), "argus-bench-segments-"));
const nets: Testnet[] = [];
const servers: NetServer[] = [];
let broker: ReturnType<typeof Bun.spawn> | null = null;
try {
  const [mgmt, lan] = await Promise.all([startTestnet({ hosts: 1, lan: "10.78.9.0/24" }), startTestnet({ hosts: 2, lan: "10.78.1.0/24" })]);
  nets.push(mgmt, lan);
  run(["ip", "-n", `${mgmt.prefix}-br`, "link", "add", `${mgmt.prefix}-m1`, "type", "veth", "peer", "name", "mq0", "netns", lan.truth.scanner_ns]);
  run(["ip", "-n", `${mgmt.prefix}-br`, "link", "set", `${mgmt.prefix}-m1`, "master", `${mgmt.prefix}-lan`, "up"]);
  run(["ip", "-n", lan.truth.scanner_ns, "addr", "add", "10.78.9.21/24", "dev", "mq0"]);
  run(["ip", "-n", lan.truth.scanner_ns, "link", "set", "mq0", "up"]);

  const passwd = join(scratch, "passwd");
  run(["mosquitto_passwd", "-b", "-c", passwd, "hub", "hub-pw"]);
  run(["mosquitto_passwd", "-b", passwd, "sensor-lan1", "lan1-pw"]);
  writeFileSync(join(scratch, "acl"), "user hub\ntopic read argus/+/+/events\ntopic write argus/+/+/commands\n\nuser sensor-lan1\ntopic write argus/home/lan1/events\ntopic read argus/home/lan1/commands\n");
  mkdirSync(join(scratch, "mq"));
  writeFileSync(
    join(scratch, "mosquitto.conf"),
    `listener 1883 ${BROKER}\nallow_anonymous false\npassword_file ${passwd}\nacl_file ${join(scratch, "acl")}\npersistence true\npersistence_location ${join(scratch, "mq")}/\nmax_queued_messages 1000000\nmax_inflight_messages 64\nuser root\n`,
  );
  broker = Bun.spawn(["ip", "netns", "exec", mgmt.truth.hosts[0].ns, mosquitto, "-c", join(scratch, "mosquitto.conf")], { stdout: "ignore", stderr: "ignore" });

  const config = (name: string, c: object) => {
    const path = join(scratch, `${name}.json`);
    writeFileSync(path, JSON.stringify({ schedule: [], ...c }));
    return path;
  };
  const hubUrl = `mqtt://${BROKER}:1883`;
  const hub = await startNetServer(mgmt, { ARGUS_CONFIG: config("hub", { role: "hub", passive: false, hub: { url: hubUrl, username: "hub", password: "hub-pw" } }) });
  servers.push(hub);
  const hubKey = (await adminWithKey(hub)).key;
  const hubApi: Client = hub.client({ "X-API-Key": hubKey });
  for (let i = 0; i < 100 && !(await hubApi.get("/api/segment")).body.connected; i++) await Bun.sleep(100);
  const sensor = await startNetServer(lan, { ARGUS_CONFIG: config("s1", { role: "sensor", site: "home", segment: "lan1", subnets: [lan.truth.lan_subnet], hub: { url: hubUrl, username: "sensor-lan1", password: "lan1-pw" } }) });
  servers.push(sensor);
  const sensorApi = sensor.client({ "X-API-Key": (await adminWithKey(sensor)).key });
  for (let i = 0; i < 100 && !(await sensorApi.get("/api/segment")).body.connected; i++) await Bun.sleep(100);

  // 1. Sighting → hub change.
  const delays: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    const mac = `02:e7:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
    const frame = Buffer.from(gratuitousArp(mac, `10.78.1.${100 + i}`)).toString("hex") + "\n";
    const t0 = performance.now();
    run(["ip", "netns", "exec", lan.truth.hosts[0].ns, "python3", SEND_FRAMES, "--iface", "eth0", "--rate", "100"], frame);
    for (;;) {
      const found = (await hubApi.get(`/api/changes?change_type=device_added&limit=5`)).body.some((c: any) => c.device_mac === mac);
      if (found) break;
      if (performance.now() - t0 > 30_000) throw new Error(`no device_added for ${mac} on the hub`);
      await Bun.sleep(20);
    }
    delays.push(performance.now() - t0);
  }

  // 3 (reference): the hub's API with no load.
  const idle = await probe(hub.socket, hubKey, 3);

  // 2. Sustained events: a publisher with the sensor's credentials, numbered after a fresh instance.
  const before = Number((await hubApi.get("/api/devices?limit=1")).headers.get("x-total-count"));
  const publisher = `
    const m = require("mqtt");
    const c = m.connect({ host: "${BROKER}", port: 1883, username: "sensor-lan1", password: "lan1-pw", clientId: "bench-publisher", clean: true });
    c.on("connect", async () => {
      const t0 = Date.now(); let inflight = 0; let sent = 0;
      const at = new Date().toISOString();
      const one = (i) => { const mac = "02:f7:" + [i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255].map((b) => b.toString(16).padStart(2, "0")).join(":");
        const ip = "10.78." + (2 + (i >> 8 & 127)) + "." + (i & 255);
        return JSON.stringify({ v: 1, event_id: "bench:" + (i + 1), instance: "bench", seq: i + 1, sent_at: at, at, kind: "batch",
          devices: [{ mac, ip, mac_randomized: true, hostname: null, hostname_source: null, vendor: null, device_type: "unknown", os_name: null, model: null, status: "online", first_seen: at, last_seen: at, open_ports: [], risk_level: "none", risk_score: 0, threat_summary: null }],
          changes: [{ change_type: "device_added", severity: "info", device_mac: mac, device_ip: ip, old_value: null, new_value: ip, description: "New device " + ip, detected_at: at }] }); };
      await new Promise((done) => { const pump = () => { while (inflight < 64 && sent < ${EVENTS}) { const i = sent++; inflight++; c.publish("argus/home/lan1/events", one(i), { qos: 1 }, () => { inflight--; if (sent === ${EVENTS} && inflight === 0) done(); else pump(); }); } }; pump(); });
      console.log(JSON.stringify({ published_s: (Date.now() - t0) / 1000 })); c.end(); });`;
  const t0 = performance.now();
  const pub = Bun.spawn(["ip", "netns", "exec", lan.truth.scanner_ns, process.execPath, "-e", publisher], { cwd: ROOT, stdout: "pipe", stderr: "inherit" });
  const loaded = probe(hub.socket, hubKey, 3);
  let applied = 0;
  for (;;) {
    applied = Number((await hubApi.get("/api/devices?limit=1")).headers.get("x-total-count")) - before;
    if (applied >= EVENTS) break;
    if (performance.now() - t0 > 600_000) throw new Error(`only ${applied} of ${EVENTS} events applied`);
    await Bun.sleep(50);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const published = JSON.parse(await new Response(pub.stdout).text());
  const underLoad = await loaded;

  console.log(
    JSON.stringify(
      {
        sighting_to_hub_change_ms: { joins: JOINS, p50: ms(pct(delays, 50)), max: ms(Math.max(...delays)) },
        sustained: { events: EVENTS, published_s: published.published_s, applied_s: Math.round(elapsed * 100) / 100, events_per_s: Math.round(EVENTS / elapsed) },
        hub_api_devices_ms: { idle: { n: idle.length, p50: ms(pct(idle, 50)), p99: ms(pct(idle, 99)) }, under_load: { n: underLoad.length, p50: ms(pct(underLoad, 50)), p99: ms(pct(underLoad, 99)) } },
      },
      null,
      2,
    ),
  );
} finally {
  for (const s of servers.reverse()) await s.close().catch(() => {});
  broker?.kill("SIGTERM");
  await broker?.exited;
  for (const n of nets) await n.down().catch(() => {});
  rmSync(scratch, { recursive: true, force: true });
}
