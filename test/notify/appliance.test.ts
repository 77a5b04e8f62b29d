// The appliance with notifications on a test network: the server, a Mosquitto broker, an MQTT watcher
// and the HTTP/SMTP receivers all run inside the test's own scanner namespace (the broker on its
// loopback), and the scans sweep only the test's LAN. Checks the Home Assistant discovery over MQTT,
// webhook delivery of a real scan's changes, the delivery list and test messages, /metrics against
// /api/stats, availability on shutdown and death, and that an alert committed just before a kill is
// delivered exactly once after the restart.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { adminWithKey, type Client } from "../helpers/server.ts";
import { startNetServer, waitForScan, type NetServer } from "../helpers/netserver.ts";
import { requireRoot, startTestnet, type Testnet } from "../helpers/testnet.ts";
import { gratuitousArp, SEND_FRAMES } from "../helpers/frames.ts";
import { JsonLines } from "../helpers/json-lines.ts";
import { requireTools, tool } from "../helpers/require.ts";

const root = requireRoot("runs a broker, receivers and the appliance inside a test network namespace");
const mosquitto = root && requireTools([["mosquitto", "mosquitto"]]) ? tool("mosquitto") : null;

const RECEIVERS = resolve(import.meta.dir, "fixtures/receivers.ts");
const WATCH = resolve(import.meta.dir, "fixtures/mqtt-watch.ts");
const SECRET = "webhook-hmac-secret";

type Msg = { topic: string; payload: string; retain: boolean };

describe.skipIf(!root || !mosquitto)("notifications on a test network (Mosquitto, webhook, metrics)", () => {
  let net: Testnet;
  let server: NetServer;
  let api: Client;
  let key: string;
  let dir: string;
  let broker: ReturnType<typeof Bun.spawn>;
  let rx: JsonLines;
  let watch: JsonLines<Msg>;
  let httpPort: number;

  const env = (schedule: string) => ({ ARGUS_CONFIG: join(dir, "config.json"), ARGUS_NOTIFY_SCHEDULE: schedule });
  const hooks = () => rx.items.filter((r) => r.kind === "http" && r.path === "/hook/argus");
  const changesOf = (type: string) => hooks().map((h) => JSON.parse(h.body)).filter((b) => b.event === "change" && b.change.change_type === type);
  /** The first scan's devices, listed in its baseline digest. */
  const baselineOf = () => hooks().map((h) => JSON.parse(h.body)).filter((b) => b.event === "digest" && b.baseline === true).flatMap((b) => b.changes);
  const scan = async () => {
    const res = await api.request("POST", "/api/scan/trigger?profile=quick");
    expect(res.status).toBe(202);
    return waitForScan(api, res.body.scan_id);
  };
  /** The retained messages a new subscriber gets now (what Home Assistant would read at its start). */
  const retainedNow = async (): Promise<Map<string, string>> => {
    const w = new JsonLines<Msg & { subscribed?: boolean }>(net.spawn([process.execPath, WATCH], { stdout: "pipe", stderr: "inherit" }));
    await w.until("subscription", (m) => m.some((x) => x.subscribed));
    await Bun.sleep(500);
    w.stop();
    return new Map(w.items.filter((m) => m.retain).map((m) => [m.topic, m.payload]));
  };

  beforeAll(async () => {
    net = await startTestnet({ hosts: 3 });
    dir = mkdtempSync(join(tmpdir(), "argus-notify-net-"));
    writeFileSync(join(dir, "mosquitto.conf"), "listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\n");
    broker = net.spawn([mosquitto!, "-c", join(dir, "mosquitto.conf")], { stdout: "ignore", stderr: "ignore" });
    rx = new JsonLines(net.spawn([process.execPath, RECEIVERS, "127.0.0.1"], { stdout: "pipe", stderr: "inherit" }));
    httpPort = (await rx.until("receivers", (l) => l.some((x) => x.ready)))[0].http_port;
    watch = new JsonLines<Msg>(net.spawn([process.execPath, WATCH], { stdout: "pipe", stderr: "inherit" }));
    await watch.until("the watcher's subscription", (m) => m.some((x: any) => x.subscribed));
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        subnets: [net.truth.lan_subnet],
        notifications: {
          channels: [
            { name: "hooks", type: "webhook", url: `http://127.0.0.1:${httpPort}/hook/argus`, secret: SECRET },
            { name: "ha", type: "mqtt", url: "mqtt://127.0.0.1:1883", discovery_prefix: "homeassistant", topic_prefix: "argus" },
          ],
          rules: [{ change_types: ["device_added", "device_removed", "device_returned"], channels: ["hooks"] }],
          // The receivers and the broker listen on the namespace's loopback (issue 16: refused by default).
          allow_loopback_destinations: true,
        },
      }),
    );
    server = await startNetServer(net, env("0,200,200,200,200"));
    ({ key } = await adminWithKey(server));
    api = server.client({ "X-API-Key": key });
  }, 90_000);

  afterAll(async () => {
    watch?.stop();
    rx?.stop();
    broker?.kill("SIGTERM");
    await server?.close();
    await net?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const lanHosts = () => net.truth.hosts;
  let deviceIds: number[] = [];

  test("a scan's new devices reach the webhook (signed) and Home Assistant (discovery, state, attributes, sensors)", async () => {
    const done = await scan();
    expect(done.status).toBe("completed");
    const n = lanHosts().length;
    // The first scan into an empty inventory is the baseline (issue 18): one digest, each device info.
    await rx.until("one device_added per host", () => baselineOf().length === n);
    for (const h of hooks()) expect(h.headers["x-argus-signature"]).toBe(`sha256=${createHmac("sha256", SECRET).update(h.body).digest("hex")}`);
    expect(hooks().length).toBe(1);
    expect(changesOf("device_added")).toEqual([]);
    expect(baselineOf().map((c) => [c.change.change_type, c.change.severity])).toEqual(lanHosts().map(() => ["device_added", "info"]));
    expect(baselineOf().map((c) => c.device.ip_address).sort()).toEqual(lanHosts().map((h) => h.ip).sort());

    const devices = (await api.get("/api/devices?limit=1000")).body as any[];
    deviceIds = devices.map((d) => d.id);
    const configTopic = (id: number) => `homeassistant/device_tracker/argus/device_${id}/config`;
    await watch.until("a tracker config per device", (m) => deviceIds.every((id) => m.some((x) => x.topic === configTopic(id) && x.payload)));
    const retained = await retainedNow();
    expect(retained.get("argus/status")).toBe("online");
    for (const d of devices) {
      const config = JSON.parse(retained.get(configTopic(d.id))!);
      expect(config).toMatchObject({
        unique_id: `argus_device_${d.id}`,
        state_topic: `argus/device/${d.id}/state`,
        json_attributes_topic: `argus/device/${d.id}/attributes`,
        payload_home: "home",
        payload_not_home: "not_home",
        availability_topic: "argus/status",
      });
      expect(retained.get(`argus/device/${d.id}/state`)).toBe("home");
      expect(JSON.parse(retained.get(`argus/device/${d.id}/attributes`)!)).toMatchObject({ ip: d.ip_address, mac: d.mac_address, vendor: d.vendor, hostname: d.hostname, risk_level: d.risk_level });
    }
    for (const s of ["total_devices", "online_devices", "new_devices_24h", "devices_at_risk", "last_scan_at"]) {
      expect(JSON.parse(retained.get(`homeassistant/sensor/argus/${s}/config`)!)).toMatchObject({ unique_id: `argus_${s}`, state_topic: "argus/stats" });
    }
    const stats = (await api.get("/api/stats")).body;
    await watch.until("stats after the scan", (m) => m.some((x) => x.topic === "argus/stats" && JSON.parse(x.payload).last_scan_at === stats.last_scan.finished_at));
    const published = JSON.parse((await retainedNow()).get("argus/stats")!);
    expect(published).toEqual({ total_devices: n, online_devices: n, new_devices_24h: n, devices_at_risk: 0, last_scan_at: stats.last_scan.finished_at });
  }, 60_000);

  test("the delivery list pages with X-Total-Count; a test message is sent and listed", async () => {
    const all = await api.get("/api/notifications?limit=1000");
    expect(all.status).toBe(200);
    expect(all.body.every((d: any) => d.channel === "hooks" && d.status === "sent" && d.attempts === 1)).toBe(true);
    // One delivery so far: the first scan's digest (the baseline, issue 18).
    expect(Number(all.headers.get("x-total-count"))).toBe(1);
    expect(all.body).toMatchObject([{ kind: "digest" }]);
    expect((await api.get("/api/notifications?bogus=1")).status).toBe(422);
    const t = await api.request("POST", "/api/notifications/test?channel=hooks");
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ channel: "hooks", status: "sent", attempts: 1, error: null });
    await rx.until("the test message", () => hooks().some((h) => JSON.parse(h.body).event === "test"));
    const mq = await api.request("POST", "/api/notifications/test?channel=ha");
    expect(mq.body).toMatchObject({ channel: "ha", status: "sent" });
    await watch.until("the MQTT test event", (m) => m.some((x) => x.topic === "argus/event" && JSON.parse(x.payload).event === "test"));
    expect((await api.request("POST", "/api/notifications/test?channel=nope")).status).toBe(404);
    expect((await api.get("/api/notifications?limit=1")).body[0]).toMatchObject({ id: mq.body.id, kind: "test", change_id: null });
    // Paging, now that there are three deliveries (the digest and two test messages).
    const every = await api.get("/api/notifications?limit=1000");
    const total = Number(every.headers.get("x-total-count"));
    expect(total).toBe(3);
    const one = await api.get("/api/notifications?limit=1&offset=1");
    expect(one.body).toEqual([every.body[1]]);
    expect(one.headers.get("x-total-count")).toBe(String(total));
  }, 30_000);

  test("/metrics needs an API key and agrees with /api/stats; no label is an address", async () => {
    expect((await server.client().get("/metrics")).status).toBe(401);
    const res = await fetch("http://argus/metrics", { headers: { authorization: `Bearer ${key}` }, unix: server.socket } as RequestInit);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await res.text();
    const families = parsePrometheusTextFormat(text) as { name: string; type: string; metrics: { value: string; labels?: Record<string, string> }[] }[];
    const value = (name: string, labels: Record<string, string> = {}) => {
      const f = families.find((x) => x.name === name);
      if (!f) throw new Error(`no metric ${name}`);
      const m = f.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
      return Number(m!.value);
    };
    const stats = (await api.get("/api/stats")).body;
    expect(value("argus_devices_total")).toBe(stats.total_devices);
    expect(value("argus_devices_online")).toBe(stats.online_devices);
    for (const level of ["medium", "high", "critical"]) expect(value("argus_devices_at_risk", { level })).toBe(stats[level]);
    expect(value("argus_last_scan_timestamp_seconds")).toBe(Date.parse(stats.last_scan.finished_at) / 1000);
    expect(value("argus_scan_duration_seconds")).toBeGreaterThan(0);
    expect(value("argus_changes_total", { type: "device_added" })).toBe(stats.total_devices);
    expect(value("argus_notifications_total", { channel: "hooks", result: "sent" })).toBe(Number((await api.get("/api/notifications?status=sent&channel=hooks")).headers.get("x-total-count")));
    expect(families.find((f) => f.name === "argus_changes_total")!.type).toBe("COUNTER");
    expect(value("process_resident_memory_bytes")).toBeGreaterThan(0);
    // No IP or MAC anywhere in a label value.
    for (const f of families) for (const m of f.metrics) for (const v of Object.values(m.labels ?? {})) expect(v).not.toMatch(/\d+\.\d+\.\d+\.\d+|([0-9a-f]{2}:){5}/i);
  }, 30_000);

  test("a host that goes away turns not_home; Forget removes its retained config", async () => {
    const gone = lanHosts()[0];
    const r = await net.nsExec(gone.ns, ["ip", "link", "set", "eth0", "down"]);
    expect(r.exitCode).toBe(0);
    await scan();
    await scan(); // the second complete scan without it takes it offline
    const device = ((await api.get(`/api/devices?q=${gone.ip}`)).body as any[]).find((d) => d.ip_address === gone.ip);
    expect(device.status).toBe("offline");
    await watch.until("not_home", (m) => m.some((x) => x.topic === `argus/device/${device.id}/state` && x.payload === "not_home"));
    await rx.until("the device_removed webhook", () => changesOf("device_removed").some((b) => b.change.device_ip === gone.ip));
    expect((await retainedNow()).get(`argus/device/${device.id}/state`)).toBe("not_home");

    expect((await api.delete(`/api/devices/${device.id}`)).status).toBe(204);
    const topic = `homeassistant/device_tracker/argus/device_${device.id}/config`;
    await watch.until("the config's removal", (m) => m.some((x) => x.topic === topic && x.payload === ""));
    const retained = await retainedNow();
    expect(retained.has(topic)).toBe(false);
    expect(retained.has(`argus/device/${device.id}/state`)).toBe(false);
    // The others stay.
    for (const id of deviceIds.filter((i) => i !== device.id)) expect(retained.has(`homeassistant/device_tracker/argus/device_${id}/config`)).toBe(true);
    await net.nsExec(gone.ns, ["ip", "link", "set", "eth0", "up"]);
  }, 60_000);

  test("after a broker restart (retained messages lost) Argus reconnects and publishes everything again", async () => {
    broker.kill("SIGTERM");
    await broker.exited;
    await Bun.sleep(1500); // a few failed reconnects: the backoff grows
    broker = net.spawn([mosquitto!, "-c", join(dir, "mosquitto.conf")], { stdout: "ignore", stderr: "ignore" });
    const devices = (await api.get("/api/devices?limit=1000")).body as any[];
    const deadline = Date.now() + 30_000;
    let retained = new Map<string, string>();
    while (Date.now() < deadline) {
      retained = await retainedNow().catch(() => new Map());
      if (retained.get("argus/status") === "online" && devices.every((d) => retained.has(`homeassistant/device_tracker/argus/device_${d.id}/config`))) break;
      await Bun.sleep(500);
    }
    expect(retained.get("argus/status")).toBe("online");
    for (const d of devices) expect(retained.get(`argus/device/${d.id}/state`)).toBe(d.status === "online" ? "home" : "not_home");
    expect(JSON.parse(retained.get("argus/stats")!).total_devices).toBe(devices.length);
  }, 60_000);

  test("availability: offline on a clean stop, online again on start, offline by last-will when killed", async () => {
    const mark = watch.items.length;
    const statusAfter = () => watch.items.slice(mark).filter((m) => m.topic === "argus/status").map((m) => m.payload);
    await server.kill("SIGTERM");
    await watch.until("offline on stop", () => statusAfter().includes("offline"));
    await server.restart();
    await watch.until("online again", () => statusAfter().at(-1) === "online");
    await server.kill("SIGKILL");
    await watch.until("the last-will", () => statusAfter().at(-1) === "offline", 30_000);
    expect((await retainedNow()).get("argus/status")).toBe("offline");
  }, 60_000);

  test("killed between the commit and the send: after the restart the alert is delivered exactly once", async () => {
    // A schedule that holds every first try for 3 s opens the window in which the kill lands, after the commit.
    await server.restart(env("3000,200,200,200,200"));
    const returned = lanHosts()[1];
    // Take a host away for two scans, then back: its device_returned is the alert under test.
    await net.nsExec(returned.ns, ["ip", "link", "set", "eth0", "down"]);
    await scan();
    await scan();
    await rx.until("its removal delivered", () => changesOf("device_removed").some((b) => b.change.device_ip === returned.ip));
    await net.nsExec(returned.ns, ["ip", "link", "set", "eth0", "up"]);
    const done = await scan();
    await server.kill("SIGKILL");
    const db = new Database(join(server.dataDir, "argus.db"), { readonly: true });
    const change = db.query("SELECT id FROM changes WHERE scan_id = ? AND change_type = 'device_returned'").get(done.id) as { id: number } | null;
    expect(change).not.toBeNull();
    expect(db.query("SELECT status, attempts FROM notifications WHERE change_id = ?").all(change!.id)).toEqual([{ status: "pending", attempts: 0 }]);
    db.close();
    expect(changesOf("device_returned")).toEqual([]);

    await server.restart(env("0,200,200,200,200"));
    await rx.until("the alert after the restart", () => changesOf("device_returned").length === 1);
    await Bun.sleep(1500);
    expect(changesOf("device_returned").map((b) => b.change.id)).toEqual([change!.id]);
    const rows = (await api.get(`/api/notifications?change_id=${change!.id}`)).body;
    expect(rows).toMatchObject([{ status: "sent", attempts: 1, change_id: change!.id }]);
  }, 90_000);

  test("a device the passive watch hears is on Home Assistant at once (home), without waiting for a scan", async () => {
    const scansBefore = Number((await api.get("/api/scans?limit=1")).headers.get("x-total-count"));
    const base = net.truth.lan_subnet.split("/")[0].split(".").slice(0, 3).join(".");
    const ip = `${base}.222`;
    expect(lanHosts().some((h) => h.ip === ip)).toBe(false);
    const mac = "00:16:3e:5a:77:21";
    // A gratuitous ARP from a host's namespace: the appliance only listens.
    const sender = Bun.spawn(["ip", "netns", "exec", lanHosts()[0].ns, "python3", SEND_FRAMES, "--iface", "eth0", "--rate", "100"], { stdin: "pipe", stdout: "ignore", stderr: "inherit" });
    sender.stdin.write(Buffer.from(gratuitousArp(mac, ip)).toString("hex") + "\n");
    sender.stdin.end();
    await sender.exited;
    let device: any;
    for (let i = 0; i < 50 && !device; i++, await Bun.sleep(100)) device = ((await api.get(`/api/devices?q=${mac}`)).body as any[])[0];
    expect(device).toMatchObject({ ip_address: ip, mac_address: mac, status: "online" });
    await watch.until("its tracker, home", (m) => m.some((x) => x.topic === `argus/device/${device.id}/state` && x.payload === "home"), 10_000);
    expect(watch.items.some((x) => x.topic === `homeassistant/device_tracker/argus/device_${device.id}/config` && x.payload)).toBe(true);
    expect(Number((await api.get("/api/scans?limit=1")).headers.get("x-total-count"))).toBe(scansBefore);
  }, 30_000);
});
