// MQTT with Home Assistant discovery. One long-lived connection per mqtt channel:
// - `<topic_prefix>/status`: availability, "online" (retained) once connected, "offline" on a clean
//   stop and, through the last-will, when the appliance dies;
// - per device (except a passive flood's, see passive/watch.ts) a retained `device_tracker` config at `<discovery_prefix>/device_tracker/<topic_prefix>/device_<id>/config`
//   (unique_id `<topic_prefix>_device_<id>`: the device id never changes), state `home`/`not_home` and
//   attributes (ip, mac, vendor, hostname, risk_level, addresses: IPv4 and IPv6) as retained topics;
// - sensors (total, online, new in 24 h, at risk, last scan time) read from `<topic_prefix>/stats`;
// - a forgotten device's retained config is replaced by an empty retained message, which removes it
//   from Home Assistant. Configs still retained at the broker for devices this database no longer has
//   (forgotten while Argus was stopped) are found by subscribing to them at connect;
// - change messages routed to the channel by the rules go to `<topic_prefix>/event` (queue, QoS 1);
// - reconnects with exponential backoff (1 s doubling to 60 s).
// The whole inventory is read once per connection; after that a `device` event of the feed
// (events.ts) republishes only that device (what differs) and the statistics.
import type { Database } from "bun:sqlite";
import type { IClientOptions, MqttClient } from "mqtt";
import { addressesOf } from "../../inventory/addresses.ts";
import { InventoryStats } from "../../inventory/stats.ts";
import { log } from "../../log.ts";
import { VERSION } from "../../version.ts";
import { redactError, type MqttChannel } from "../config.ts";
import { checkDestination, DestinationRefused } from "../destination.ts";
import { displayName, unlinkable } from "../message.ts";
import type { Payload } from "../queue.ts";
import type { MqttDevice } from "../schema.ts";

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

/** A device entity as its row reads (schema.ts: a Pick of the one device schema); SQLite answers booleans as 0/1. */
type DeviceRow = Omit<MqttDevice, "is_trusted" | "addresses"> & { is_trusted: number };

/**
 * A device's addresses as its entity's attributes: without the seen times and in a fixed order
 * (IPv4 first, then by text), so the retained attributes change when an address comes or goes,
 * not each time a known one is heard again.
 */
function addressAttributes(addresses: MqttDevice["addresses"]): { address: string; family: 4 | 6; scope: string; mac: string | null }[] {
  return addresses
    .map(({ address, family, scope, mac }) => ({ address, family: family as 4 | 6, scope, mac }))
    .sort((a, b) => a.family - b.family || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

export class MqttBridge {
  private client: MqttClient | null = null;
  private backoff = BACKOFF_MIN_MS;
  /** What this connection has published per device (config / state / attributes), to send only differences. */
  private published = new Map<number, { config: string; state: string; attributes: string }>();
  /** Device ids with a retained config at the broker (seen by subscription or published by us). */
  private retained = new Set<number>();
  private sensorsPublished = false;
  private syncing: Promise<void> | null = null;
  /** A whole sync is due (connect, a restored backup). */
  private fullDue = false;
  /** Devices named by events since the last sync: only these are read and published. */
  private readonly due = new Set<number>();
  private readonly stats: InventoryStats;
  private readonly tp: string;
  private readonly dp: string;

  constructor(
    private readonly db: Database,
    readonly channel: MqttChannel,
    private readonly allowLoopback = false,
  ) {
    this.stats = new InventoryStats(db);
    this.tp = channel.topic_prefix ?? "argus";
    this.dp = channel.discovery_prefix ?? "homeassistant";
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  private stopped = false;
  private lastError: string | null = null;

  /** Why the bridge does not connect at all (a loopback broker that is not allowed). */
  private refused: DestinationRefused | null = null;

  start(): void {
    // The mqtt package is loaded on first use: an appliance without an MQTT channel does not carry it.
    void checkDestination(new URL(this.channel.url).hostname, this.allowLoopback)
      .then(() => import("mqtt"))
      .then(
        (m) => {
          if (!this.stopped) this.connect(m.default.connect);
        },
        (e) => {
          if (e instanceof DestinationRefused) {
            this.refused = e;
            log.warn("mqtt broker refused", { channel: this.channel.name, reason: e.message });
          } else log.error("mqtt unavailable", { error: String(e) });
        },
      );
  }

  private connect(connect: (opts: IClientOptions) => MqttClient): void {
    const availability = `${this.tp}/status`;
    // Options from the WHATWG URL parser (given a string, mqtt.js would use the deprecated url.parse).
    const url = new URL(this.channel.url);
    const client = connect({
      protocol: url.protocol.slice(0, -1) as IClientOptions["protocol"],
      host: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname && url.pathname !== "/" ? url.pathname : undefined,
      username: this.channel.username ?? (url.username ? decodeURIComponent(url.username) : undefined),
      password: this.channel.password ?? (url.password ? decodeURIComponent(url.password) : undefined),
      clientId: `argus-${this.tp}-${Math.random().toString(36).slice(2, 10)}`,
      will: { topic: availability, payload: Buffer.from("offline"), retain: true, qos: 1 },
      reconnectPeriod: BACKOFF_MIN_MS,
      connectTimeout: (this.channel.timeout_seconds ?? 10) * 1000,
      clean: true,
    });
    this.client = client;
    client.on("connect", () => {
      this.backoff = BACKOFF_MIN_MS;
      this.lastError = null;
      client.options.reconnectPeriod = BACKOFF_MIN_MS;
      this.published.clear();
      this.sensorsPublished = false;
      log.info("mqtt connected", { channel: this.channel.name });
      void this.onConnect(client).catch((e) => log.warn("mqtt setup failed", { channel: this.channel.name, error: redactError(String(e), this.channel) }));
    });
    client.on("close", () => {
      // Exponential backoff: mqtt.js reads reconnectPeriod when it schedules the next attempt.
      client.options.reconnectPeriod = this.backoff;
      this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
    });
    client.on("error", (e) => {
      // Once per kind of failure, not on every reconnect attempt while the broker is away.
      const error = redactError(e.message, this.channel);
      if (error !== this.lastError) log.warn("mqtt error", { channel: this.channel.name, error });
      this.lastError = error;
    });
    client.on("message", (topic, payload, packet) => {
      const m = topic.match(/\/device_(\d+)\/config$/);
      if (!m || !packet.retain) return;
      const id = Number(m[1]);
      if (payload.length > 0) this.retained.add(id);
    });
  }

  private async onConnect(client: MqttClient): Promise<void> {
    await client.publishAsync(`${this.tp}/status`, "online", { retain: true, qos: 1 });
    // Retained configs of earlier runs arrive right after subscribing; give them a moment before the
    // first sync decides which ones belong to forgotten devices.
    await client.subscribeAsync(`${this.dp}/device_tracker/${this.tp}/+/config`, { qos: 1 });
    await Bun.sleep(300);
    await client.unsubscribeAsync(`${this.dp}/device_tracker/${this.tp}/+/config`);
    await this.sync();
  }

  /** Brings Home Assistant's whole view up to date with the inventory; coalesces overlapping calls. */
  sync(): Promise<void> {
    this.fullDue = true;
    return this.flush();
  }

  /** Brings one device's entity up to date (the feed named it): added, changed, or removed when forgotten. */
  update(id: number): void {
    this.due.add(id);
    void this.flush();
  }

  private flush(): Promise<void> {
    if (this.syncing) return this.syncing;
    this.syncing = (async () => {
      try {
        while (this.fullDue || this.due.size > 0) {
          const full = this.fullDue;
          const ids = [...this.due];
          this.fullDue = false;
          this.due.clear();
          await this.syncOnce(full ? null : ids);
        }
      } catch (e) {
        log.warn("mqtt sync failed", { channel: this.channel.name, error: redactError(String(e), this.channel) });
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  /** Publishes what differs for these devices (all when `ids` is null) and the statistics. */
  private async syncOnce(ids: number[] | null): Promise<void> {
    const client = this.client;
    // Not connected: the sync at connect covers everything.
    if (!client?.connected) return;
    const publish = (topic: string, payload: string) => client.publishAsync(topic, payload, { retain: true, qos: 1 });
    if (!this.sensorsPublished) {
      for (const [topic, config] of this.sensorConfigs()) await publish(topic, JSON.stringify(config));
      this.sensorsPublished = true;
    }
    // A newcomer the passive watch holds back (a flood may be starting) or a flood's device is not an
    // entity: thousands of random MACs must not become thousands of Home Assistant entities.
    const columns = "SELECT id, ip_address, mac_address, vendor, hostname, label, status, risk_level, is_trusted, zone FROM devices WHERE (announce_after_ms IS NULL OR announce_after_ms <= ?1)";
    const devices = (
      ids === null
        ? this.db.query(columns).all(Date.now())
        : this.db.query(`${columns} AND id IN (SELECT value FROM json_each(?2))`).all(Date.now(), JSON.stringify(ids))
    ) as DeviceRow[];
    const present = new Set<number>();
    const addresses = addressesOf(this.db, devices.map((d) => d.id));
    for (const d of devices) {
      present.add(d.id);
      const before = this.published.get(d.id);
      const config = JSON.stringify(this.trackerConfig(d));
      const state = d.status === "online" ? "home" : "not_home";
      const attributes = JSON.stringify({ ip: d.ip_address, mac: d.mac_address, vendor: d.vendor, hostname: d.hostname, risk_level: d.risk_level, label: d.label, zone: d.zone, trusted: d.is_trusted === 1, addresses: addressAttributes(addresses.get(d.id) ?? []) });
      if (before?.config !== config) await publish(this.configTopic(d.id), config);
      if (before?.attributes !== attributes) await publish(`${this.tp}/device/${d.id}/attributes`, attributes);
      if (before?.state !== state) await publish(`${this.tp}/device/${d.id}/state`, state);
      this.published.set(d.id, { config, state, attributes });
      this.retained.add(d.id);
    }
    for (const id of ids === null ? [...this.retained] : ids.filter((id) => this.retained.has(id))) {
      if (present.has(id)) continue;
      // An empty retained message deletes the retained one: Home Assistant removes the entity.
      await publish(this.configTopic(id), "");
      await publish(`${this.tp}/device/${id}/state`, "");
      await publish(`${this.tp}/device/${id}/attributes`, "");
      this.retained.delete(id);
      this.published.delete(id);
    }
    const s = this.stats.stats();
    await publish(
      `${this.tp}/stats`,
      JSON.stringify({ total_devices: s.total_devices, online_devices: s.online_devices, new_devices_24h: s.new_devices_24h, devices_at_risk: s.devices_at_risk, last_scan_at: s.last_scan?.finished_at ?? null }),
    );
  }

  /** Resolves once connected, or after `ms` (a test message then reports the broker as unreachable). */
  async waitConnected(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.connected && !this.stopped && Date.now() < deadline) await Bun.sleep(50);
  }

  /** Publishes a change message (from the delivery queue); throws while the broker is unreachable. */
  async publishEvent(p: Payload, signal: AbortSignal): Promise<void> {
    if (this.refused) throw this.refused;
    const client = this.client;
    if (!client?.connected) throw new Error("not connected to the MQTT broker");
    await Promise.race([
      client.publishAsync(`${this.tp}/event`, JSON.stringify(p), { qos: 1 }),
      new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("timed out waiting for the broker's acknowledgement")), { once: true })),
    ]);
  }

  /** Marks availability offline (retained) and disconnects. */
  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    if (!client) return;
    try {
      if (client.connected) await Promise.race([client.publishAsync(`${this.tp}/status`, "offline", { retain: true, qos: 1 }), Bun.sleep(1000)]);
    } catch {}
    await Promise.race([client.endAsync(), Bun.sleep(1000)]).catch(() => {});
    client.end(true);
  }

  private configTopic(id: number): string {
    return `${this.dp}/device_tracker/${this.tp}/device_${id}/config`;
  }

  private appliance() {
    return { identifiers: [`${this.tp}_appliance`], name: "Argus", manufacturer: "Argus", model: "LAN watch", sw_version: VERSION };
  }

  private trackerConfig(d: DeviceRow) {
    const id = `${this.tp}_device_${d.id}`;
    // Shown by Home Assistant (and carried into its notifications): the device's own name quoted, unlinkable.
    const name = unlinkable(displayName(d, d.ip_address));
    return {
      name,
      unique_id: id,
      object_id: id,
      state_topic: `${this.tp}/device/${d.id}/state`,
      json_attributes_topic: `${this.tp}/device/${d.id}/attributes`,
      payload_home: "home",
      payload_not_home: "not_home",
      source_type: "router",
      availability_topic: `${this.tp}/status`,
      device: {
        identifiers: [id],
        name,
        ...(d.mac_address ? { connections: [["mac", d.mac_address]] } : {}),
        ...(d.vendor ? { manufacturer: d.vendor } : {}),
        via_device: `${this.tp}_appliance`,
      },
    };
  }

  private sensorConfigs(): [string, Record<string, unknown>][] {
    const sensor = (key: string, name: string, extra: Record<string, unknown> = {}): [string, Record<string, unknown>] => [
      `${this.dp}/sensor/${this.tp}/${key}/config`,
      {
        name,
        unique_id: `${this.tp}_${key}`,
        object_id: `${this.tp}_${key}`,
        state_topic: `${this.tp}/stats`,
        value_template: `{{ value_json.${key} }}`,
        availability_topic: `${this.tp}/status`,
        device: this.appliance(),
        ...extra,
      },
    ];
    return [
      sensor("total_devices", "Devices", { state_class: "measurement", unit_of_measurement: "devices" }),
      sensor("online_devices", "Devices online", { state_class: "measurement", unit_of_measurement: "devices" }),
      sensor("new_devices_24h", "New devices (24 h)", { state_class: "measurement", unit_of_measurement: "devices" }),
      sensor("devices_at_risk", "Devices at risk", { state_class: "measurement", unit_of_measurement: "devices" }),
      sensor("last_scan_at", "Last scan", { device_class: "timestamp" }),
    ];
  }
}
