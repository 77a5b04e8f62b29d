// Home Assistant over MQTT follows the event feed: a real Mosquitto on loopback, the real notifier
// and bridge, a real database. After the first sync at connect, a `device` event republishes the
// device it names, and only that one: other rows are not read again on each event.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { DEFAULT_CONFIG, type AppConfig } from "../../src/config/app-config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { EventFeed } from "../../src/events.ts";
import { DeviceInventory } from "../../src/inventory/devices.ts";
import type { Observation } from "../../src/inventory/observation.ts";
import { setLogLevel } from "../../src/log.ts";
import { validateNotifications } from "../../src/notify/config.ts";
import { Notifier } from "../../src/notify/notifier.ts";
import { ScanManager } from "../../src/scans/manager.ts";
import type { PipelineOutput } from "../../src/scans/pipeline.ts";
import { planScan } from "../../src/scans/plan.ts";
import { Scratch } from "../helpers/scratch.ts";

const mosquitto = Bun.which("mosquitto") ?? (Bun.file("/usr/sbin/mosquitto").size > 0 ? "/usr/sbin/mosquitto" : null);
if (!mosquitto) {
  const msg = "needs Debian's mosquitto (apt-get install mosquitto); skipping";
  if (process.env.CI === "true" || process.env.CI === "1") throw new Error(`${msg} is not allowed under CI=true`);
  console.warn(`[skip] ${msg}`);
}

const scratch = new Scratch();
const host = (n: number, more: Partial<Observation> = {}): Observation => ({
  ip: `10.0.0.${n}`, mac: `02:00:00:00:00:${n.toString(16).padStart(2, "0")}`, method: "arp", rtt_ms: 1, mac_randomized: false, vendor: "Acme", hostname: `host${n}`,
  hostname_source: "dns", device_type: null, os_name: null, ports: null, ...more,
});

describe.skipIf(!mosquitto)("MQTT follows the event feed", () => {
  let broker: ReturnType<typeof Bun.spawn>;
  let port = 0;

  beforeAll(async () => {
    setLogLevel("error");
    const dir = scratch.dir("argus-mqtt-feed-");
    port = 20000 + Math.floor(Math.random() * 20000);
    writeFileSync(join(dir, "mosquitto.conf"), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    broker = Bun.spawn([mosquitto!, "-c", join(dir, "mosquitto.conf")], { stdout: "ignore", stderr: "ignore" });
    for (let i = 0; i < 100; i++) {
      if (await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then((s) => (s.end(), true), () => false)) return;
      await Bun.sleep(50);
    }
    throw new Error("mosquitto did not start");
  });

  afterAll(() => {
    broker?.kill("SIGKILL");
    scratch.clear();
  });

  test("a device event republishes that device only", async () => {
    const checked = validateNotifications({ allow_loopback_destinations: true, channels: [{ name: "ha", type: "mqtt", url: `mqtt://127.0.0.1:${port}` }] });
    if (!checked.ok) throw new Error(checked.reason);
    const cfg: AppConfig = { ...DEFAULT_CONFIG, notifications: checked.value };
    const db = openDatabase(scratch.dir("argus-mqtt-feed-db-"));
    const feed = new EventFeed();
    const notifier = new Notifier(db, () => cfg.notifications, { pollMs: 50 });
    notifier.start(feed);
    const seen: { topic: string; payload: string }[] = [];
    const watch = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: `watch-${process.pid}` });
    try {
      await new Promise<void>((ok) => watch.on("connect", () => watch.subscribe(["argus/device/+/attributes", "argus/stats"], { qos: 1 }, () => ok())));
      watch.on("message", (topic, payload) => seen.push({ topic, payload: payload.toString() }));
      const attributes = (id: number) => seen.filter((m) => m.topic === `argus/device/${id}/attributes`).map((m) => JSON.parse(m.payload));
      const until = async (what: string, f: () => boolean) => {
        for (const deadline = Date.now() + 10_000; !f(); await Bun.sleep(25)) if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
      };

      // The sync at connect (the whole inventory, empty yet) ends with the statistics.
      await until("the sync at connect", () => seen.some((m) => m.topic === "argus/stats"));

      // A scan finds two devices: both reach Home Assistant.
      const manager = new ScanManager(db, () => cfg, notifier, async (): Promise<PipelineOutput> => ({ observations: [host(5), host(6)], hostsTotal: 16, portsScanned: 0, complete: true, degraded: false }), feed);
      manager.start(planScan({ kind: "network", subnet: "10.0.0.0/28", profile: "quick" }, cfg));
      await manager.idle();
      const [a, b] = (db.query("SELECT id FROM devices ORDER BY id").all() as { id: number }[]).map((r) => r.id);
      await until("both devices", () => attributes(a).length > 0 && attributes(b).length > 0);

      // Both rows change; the feed names only the first.
      db.run("UPDATE devices SET label = 'named' WHERE id = ?", [a]);
      db.run("UPDATE devices SET label = 'not named' WHERE id = ?", [b]);
      feed.publishDevices([a], (ids) => new DeviceInventory(db).records(ids));
      await until("the named device's new attributes", () => attributes(a).some((x) => x.label === "named"));
      await Bun.sleep(500);
      expect(attributes(b).map((x) => x.label)).toEqual([null]);

      // Forgotten: the event with no record removes its entity (an empty retained config).
      db.run("DELETE FROM devices WHERE id = ?", [a]);
      feed.publish({ type: "device", id: a, device: null });
      await until("the forgotten device's attributes cleared", () => seen.some((m) => m.topic === `argus/device/${a}/attributes` && m.payload === ""));
    } finally {
      watch.end(true);
      await notifier.stop();
      db.close(false);
    }
  }, 60_000);

  test("Home Assistant names each device as everything else does: label, else host name (quoted), else vendor and IP, else IP", async () => {
    const checked = validateNotifications({ allow_loopback_destinations: true, channels: [{ name: "ha", type: "mqtt", url: `mqtt://127.0.0.1:${port}`, topic_prefix: "argusnames" }] });
    if (!checked.ok) throw new Error(checked.reason);
    const cfg: AppConfig = { ...DEFAULT_CONFIG, notifications: checked.value };
    const db = openDatabase(scratch.dir("argus-mqtt-names-db-"));
    const feed = new EventFeed();
    const notifier = new Notifier(db, () => cfg.notifications, { pollMs: 50 });
    notifier.start(feed);
    const configs = new Map<string, any>();
    const watch = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: `watch-names-${process.pid}` });
    try {
      await new Promise<void>((ok) => watch.on("connect", () => watch.subscribe(["homeassistant/device_tracker/argusnames/+/config"], { qos: 1 }, () => ok())));
      watch.on("message", (topic, payload) => payload.length > 0 && configs.set(topic, JSON.parse(payload.toString())));
      const nameOf = (id: number) => configs.get(`homeassistant/device_tracker/argusnames/device_${id}/config`)?.name;
      const until = async (what: string, f: () => boolean) => {
        for (const deadline = Date.now() + 10_000; !f(); await Bun.sleep(25)) if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
      };
      const hosts = [host(7), host(8, { hostname: null, hostname_source: null, vendor: "Apple, Inc." }), host(9, { hostname: null, hostname_source: null, vendor: null })];
      const manager = new ScanManager(db, () => cfg, notifier, async (): Promise<PipelineOutput> => ({ observations: hosts, hostsTotal: 16, portsScanned: 0, complete: true, degraded: false }), feed);
      manager.start(planScan({ kind: "network", subnet: "10.0.0.0/28", profile: "quick" }, cfg));
      await manager.idle();
      const [named, vendor, bare] = (db.query("SELECT id FROM devices ORDER BY id").all() as { id: number }[]).map((r) => r.id);
      await until("three entities", () => [named, vendor, bare].every((id) => nameOf(id) !== undefined));
      expect([nameOf(named), nameOf(vendor), nameOf(bare)]).toEqual(["“host7”", "Apple, Inc. 10.0.0.8", "10.0.0.9"]);
      // Renamed by the owner: the entity follows.
      db.run("UPDATE devices SET label = 'Kitchen tablet' WHERE id = ?", [named]);
      feed.publishDevices([named], (ids) => new DeviceInventory(db).records(ids));
      await until("the new name", () => nameOf(named) === "Kitchen tablet");
    } finally {
      watch.end(true);
      await notifier.stop();
      db.close(false);
    }
  }, 60_000);
});
