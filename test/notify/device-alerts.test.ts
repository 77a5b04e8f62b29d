// Per-device alerts (SPEC §7 notify_on) and rules that name devices, end to end inside one process as
// delivery.test.ts does: the real scan manager over a stand-in pipeline commits the changes and queues
// their messages, the real worker sends them to a real webhook receiver on loopback (allowed by
// notifications.allow_loopback_destinations). The global rule asks for warnings and up only, so what
// arrives of a device's info-level departure, return or new port came by its own notify_on. Rules that
// name devices are also checked through the real server's PUT /api/config (loopback, nothing scans).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { DEFAULT_CONFIG, type AppConfig } from "../../src/config/app-config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { completedNetworkScan } from "../helpers/known-inventory.ts";
import { EventFeed } from "../../src/events.ts";
import { setLogLevel } from "../../src/log.ts";
import { DeviceInventory } from "../../src/inventory/devices.ts";
import type { Observation, ObservedPort } from "../../src/inventory/observation.ts";
import { validateNotifications } from "../../src/notify/config.ts";
import { Notifier } from "../../src/notify/notifier.ts";
import { listDeliveries } from "../../src/notify/queue.ts";
import { ScanManager } from "../../src/scans/manager.ts";
import type { PipelineOutput } from "../../src/scans/pipeline.ts";
import { planScan } from "../../src/scans/plan.ts";
import { Scratch } from "../helpers/scratch.ts";
import { adminWithKey, Client, startTestServer } from "../helpers/server.ts";
import { startReceivers, type Receivers } from "./fixtures/receivers.ts";

const scratch = new Scratch();
let rx: Receivers;
beforeAll(async () => {
  setLogLevel("error");
  rx = await startReceivers();
});
afterAll(async () => {
  await rx.close();
  scratch.clear();
});

const mac = (n: number) => `02:00:00:00:01:${n.toString(16).padStart(2, "0")}`;
const port = (n: number): ObservedPort => ({ port: n, protocol: "tcp", service: null, identified: false, product: null, version: null, tls: false, banner: null, extra: {} });
const host = (n: number, ports: number[] | null = null): Observation => ({
  ip: `10.0.1.${n}`,
  mac: mac(n),
  method: "arp",
  rtt_ms: 1,
  mac_randomized: false,
  vendor: "Acme",
  hostname: `host${n}`,
  hostname_source: "dns",
  device_type: null,
  os_name: null,
  ports: ports && ports.map(port),
});

type Rig = { db: Database; inventory: DeviceInventory; scan: (hosts: Observation[], profile?: "quick" | "normal") => Promise<void>; close: () => Promise<void> };
const running: Rig[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  rx.received.length = 0;
});

function rig(notifications: Record<string, unknown>): Rig {
  const checked = validateNotifications({ allow_loopback_destinations: true, ...notifications });
  if (!checked.ok) throw new Error(`${checked.field}: ${checked.reason}`);
  const db = openDatabase(scratch.dir("argus-device-alerts-"));
  completedNetworkScan(db); // a watched LAN: past the quiet first run, whose baseline is a digest
  const cfg: AppConfig = { ...DEFAULT_CONFIG, notifications: checked.value };
  const notifier = new Notifier(db, () => cfg.notifications, { schedule: [0, 150, 150], pollMs: 50 });
  const feed = new EventFeed();
  notifier.start(feed);
  let next: Observation[] = [];
  const manager = new ScanManager(db, () => cfg, notifier, async (): Promise<PipelineOutput> => ({ observations: next, hostsTotal: 16, portsScanned: 0, complete: true, degraded: false }), feed);
  const r: Rig = {
    db,
    inventory: new DeviceInventory(db),
    async scan(hosts, profile = "quick") {
      next = hosts;
      manager.start(planScan({ kind: "network", subnet: "10.0.1.0/28", profile }, cfg));
      await manager.idle();
    },
    async close() {
      await notifier.stop();
      db.close(false);
    },
  };
  running.push(r);
  return r;
}

const hook = (name: string) => `http://127.0.0.1:${rx.httpPort}/hook/${name}`;
const received = (name: string) => rx.received.filter((x) => x.path === `/hook/${name}`).map((x) => JSON.parse(x.body));
const idOf = (r: Rig, n: number) => (r.db.query("SELECT id FROM devices WHERE mac_address = ?").get(mac(n)) as { id: number }).id;

async function until<T>(what: string, fn: () => T | false | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = fn();
    if (v) return v;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Channels "a" and "b"; the one rule sends warnings and up to "a" only. */
const TWO_CHANNELS = () => ({ channels: [{ name: "a", type: "webhook", url: hook("a") }, { name: "b", type: "webhook", url: hook("b") }], rules: [{ min_severity: "warning", channels: ["a"] }] });

describe("per-device alerts (notify_on)", () => {
  test('"left": a device_removed the rules would drop (info < warning) reaches every enabled channel, naming the device; others\' stay unsent', async () => {
    const r = rig(TWO_CHANNELS());
    await r.scan([host(1), host(2), host(3)]);
    expect(r.inventory.update(idOf(r, 1), { notify_on: ["left"] })).not.toBeNull();
    // Device 3 asks only for its return: its departure is not sent.
    r.inventory.update(idOf(r, 3), { notify_on: ["returned"] });
    await r.scan([host(2)]);
    await r.scan([host(2)]); // the second miss: 1 and 3 go offline (device_removed, info)
    const removed = r.db.query("SELECT device_ip, severity FROM changes WHERE change_type = 'device_removed' ORDER BY device_ip").all();
    expect(removed).toEqual([{ device_ip: "10.0.1.1", severity: "info" }, { device_ip: "10.0.1.3", severity: "info" }]);
    for (const ch of ["a", "b"]) {
      const msg = await until(`the alert on ${ch}`, () => received(ch).find((m) => m.change.change_type === "device_removed"));
      expect(msg).toMatchObject({ event: "change", change: { change_type: "device_removed", device_ip: "10.0.1.1", severity: "info" }, device: { id: idOf(r, 1), mac_address: mac(1), hostname: "host1" } });
    }
    await Bun.sleep(300);
    // "b" has no rule: it got the one alert asked for. "a" also got the new devices (warning) by its rule.
    expect(received("b").map((m) => `${m.change.change_type} ${m.change.device_ip}`)).toEqual(["device_removed 10.0.1.1"]);
    expect(received("a").filter((m) => m.change.change_type === "device_removed").map((m) => m.change.device_ip)).toEqual(["10.0.1.1"]);
    expect(listDeliveries(r.db, { limit: 100, offset: 0 }).items.filter((d) => d.status === "sent" && d.channel === "b").length).toBe(1);
  });

  test('"returned" and "port_opened": the device coming back and a new open port are sent; a muted device gets nothing, notify_on or not', async () => {
    const r = rig({ ...TWO_CHANNELS(), muted_devices: [mac(2).toUpperCase().replaceAll(":", "-")] });
    await r.scan([host(1, [22]), host(2, [22])], "normal");
    for (const n of [1, 2]) r.inventory.update(idOf(r, n), { notify_on: ["returned", "port_opened"] });
    await r.scan([host(1, [22, 80]), host(2, [22, 80])], "normal");
    const [opened] = await until("the port_opened alert", () => received("b").length > 0 && received("b"));
    expect(opened).toMatchObject({ change: { change_type: "port_opened", device_ip: "10.0.1.1", new_value: "80" } });
    await r.scan([]);
    await r.scan([]);
    await r.scan([host(1, null), host(2, null)]);
    const back = await until("the return", () => received("b").find((m) => m.change.change_type === "device_returned"));
    expect(back).toMatchObject({ change: { device_ip: "10.0.1.1" }, device: { id: idOf(r, 1) } });
    await Bun.sleep(300);
    // Its departures were not asked for; device 2 is muted.
    expect(received("b").map((m) => `${m.change.change_type} ${m.change.device_ip}`)).toEqual(["port_opened 10.0.1.1", "device_returned 10.0.1.1"]);
    expect(r.db.query("SELECT count(*) AS n FROM changes WHERE device_mac = ? AND change_type IN ('port_opened', 'device_returned')").get(mac(2))).toEqual({ n: 2 });
  });

  test("without any rule, a device's own alerts are still sent; a disabled channel gets none", async () => {
    const r = rig({ channels: [{ name: "a", type: "webhook", url: hook("a") }, { name: "b", type: "webhook", url: hook("b"), enabled: false }] });
    await r.scan([host(1)]);
    r.inventory.update(idOf(r, 1), { notify_on: ["left"] });
    await r.scan([]);
    await r.scan([]);
    const [msg] = await until("the alert", () => received("a").length > 0 && received("a"));
    expect(msg.change).toMatchObject({ change_type: "device_removed", device_ip: "10.0.1.1" });
    await Bun.sleep(300);
    expect(received("b")).toEqual([]);
  });
});

describe("rules that name devices", () => {
  test("a rule with devices (ids or MACs) matches only those devices' changes", async () => {
    // Device 1 by id, device 3 by its MAC in Windows notation (kept in the inventory's form).
    const r = rig({ channels: [{ name: "a", type: "webhook", url: hook("a") }], rules: [{ devices: [1, mac(3).toUpperCase().replaceAll(":", "-")], channels: ["a"] }] });
    await r.scan([host(1), host(2), host(3)]);
    const first = (r.db.query("SELECT ip_address FROM devices WHERE id = 1").get() as { ip_address: string }).ip_address;
    const expected = [...new Set([first, "10.0.1.3"])].sort();
    await until("the named devices' messages", () => received("a").length === expected.length);
    await Bun.sleep(300);
    expect(received("a").map((m) => `${m.change.change_type} ${m.change.device_ip}`).sort()).toEqual(expected.map((ip) => `device_added ${ip}`));
  });

  test("validation names the entry: notifications.rules.N.devices.M", () => {
    const base = { channels: [{ name: "a", type: "webhook", url: "https://example.net/hook" }] };
    const bad = (devices: unknown) => validateNotifications({ ...base, rules: [{ channels: ["a"] }, { devices, channels: ["a"] }] });
    expect(bad([3, "not-a-mac"])).toEqual({ ok: false, field: "notifications.rules.1.devices.1", reason: "must be a device id (a whole number) or a MAC (aa:bb:cc:dd:ee:ff or AA-BB-CC-DD-EE-FF)" });
    expect(bad([0])).toMatchObject({ ok: false, field: "notifications.rules.1.devices.0" });
    expect(bad([1.5])).toMatchObject({ ok: false, field: "notifications.rules.1.devices.0" });
    expect(bad([])).toMatchObject({ ok: false, field: "notifications.rules.1.devices" });
    expect(bad("aa:bb:cc:dd:ee:ff")).toMatchObject({ ok: false, field: "notifications.rules.1.devices" });
    const ok = bad([7, "AA-BB-CC-DD-EE-FF"]);
    expect(ok.ok && ok.value.rules[1].devices).toEqual([7, "aa:bb:cc:dd:ee:ff"]);
  });
});

describe("PUT /api/config: rules naming devices", () => {
  test("MACs are kept in the inventory's form; a bad entry is a 422 naming notifications.rules.N.devices.M; nothing changes", async () => {
    const server = await startTestServer();
    try {
      const { key } = await adminWithKey(server);
      const api = new Client(server.url, { "X-API-Key": key });
      const channels = [{ name: "a", type: "webhook", url: "https://example.net/hook" }];
      const ok = await api.request("PUT", "/api/config", { json: { notifications: { channels, rules: [{ devices: [7, "AA-BB-CC-DD-EE-0F"], channels: ["a"] }] } } });
      expect(ok.status).toBe(200);
      expect(ok.body.notifications.rules).toEqual([{ devices: [7, "aa:bb:cc:dd:ee:0f"], channels: ["a"] }]);
      for (const [devices, detail] of [
        [[7, "printer"], "Invalid body field 'notifications.rules.0.devices.1': must be a device id (a whole number) or a MAC (aa:bb:cc:dd:ee:ff or AA-BB-CC-DD-EE-FF)"],
        [[0], "Invalid body field 'notifications.rules.0.devices.0': "],
        [[], "Invalid body field 'notifications.rules.0.devices': "],
      ] as const) {
        const res = await api.request("PUT", "/api/config", { json: { notifications: { channels, rules: [{ devices, channels: ["a"] }] } } });
        expect({ devices, status: res.status }).toEqual({ devices, status: 422 });
        expect(res.body.detail).toStartWith(detail);
      }
      expect((await api.get("/api/config")).body.notifications.rules).toEqual([{ devices: [7, "aa:bb:cc:dd:ee:0f"], channels: ["a"] }]);
    } finally {
      await server.close();
    }
  });
});
