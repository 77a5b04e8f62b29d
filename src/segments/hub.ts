// Role hub: subscribes to every sensor's events (`<prefix>/+/+/events`, QoS 1, persistent session)
// and applies each message (merge.ts) in short transactions that also queue its notifications (the
// sink), publishing on the feed after each: the hub's UI, API, notifications, Home Assistant and metrics see
// a sensor's devices and changes as they see a standalone appliance's own.
//
// A message is acknowledged (PUBACK) only once it is applied: mqtt.js passes each message to
// `handleMessage` (its documented hook for backpressure) and sends the PUBACK, and reads the next
// packet, when its callback is called, which the hub does after the commit (a crash in between means
// a redelivery, which merge.ts recognises). Each message is applied on a turn of the event loop of
// its own, so the hub's API stays responsive while a sensor's backlog drains (scripts/bench/segments.ts:
// applied back to back, 3,000 queued messages held GET /api/devices up to 160 ms at p99; one a turn, 14-31 ms).
import type { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import type { MqttClient } from "mqtt";
import type { EventFeed } from "../events.ts";
import { DeviceInventory } from "../inventory/devices.ts";
import type { Change } from "../inventory/observation.ts";
import { log } from "../log.ts";
import type { NotifySink } from "../notify/sink.ts";
import { isoNow } from "../time.ts";
import { brokerError, connectBroker, type BrokerConfig } from "./broker.ts";
import {
  admit,
  applyDevices,
  finishMessage,
  heard,
  listSensors,
  newDeviceBudget,
  NEW_DEVICES_WINDOW_MS,
  reportSilentSensors,
  siteOwningSegment,
  messageState,
  type MessageState,
  type NewDeviceBudget,
  type SensorRecord,
} from "./merge.ts";
import { commandsTopic, type ScanCommand } from "./commands.ts";
import { eventsWildcard, MAX_MESSAGE_BYTES, parseEventsTopic, parseMessage, PROTOCOL_VERSION, type SensorMessage } from "./protocol.ts";

export type HubOptions = { prefix: string; broker: BrokerConfig; offlineAfterS: () => number; checkEveryMs?: number; floodDigestMs?: number };

/** After a sensor reports a sighting flood, its newcomers go into one digest for this long (as on the sensor). */
export const FLOOD_WINDOW_MS = 5 * 60_000;
const NEWCOMER_TYPES = new Set(["device_added", "mac_changed_for_ip"]);
/** announce_after_ms of a flood's device: never a Home Assistant entity (as passive/watch.ts marks them). */
const NEVER = Number.MAX_SAFE_INTEGER;

/** Device records per step of a message's apply, and the time after which the event loop is handed back. */
const STEP = 100;
const SLICE_MS = 20;

type Incoming = { topic: string; payload: string; ack?: () => void };

export type HubStatus = { connected: boolean; last_error: string | null };

export class SegmentHub {
  private client: MqttClient | null = null;
  private lastError: string | null = null;
  /** When the current broker connection was made; null while disconnected. */
  private connectedAt: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private readonly devices: DeviceInventory;
  /** Sensors heard and not reported silent since ("site/segment"): a change to it is a live `status` event. */
  private readonly online = new Set<string>();
  /** Until when each sensor ("site/segment") is in a sighting flood: its newcomers go to one digest. */
  private readonly floodUntil = new Map<string, number>();
  private readonly incoming: Incoming[] = [];
  /** Each sensor's budget of new devices in its current window ("site/segment"). */
  private readonly budgets = new Map<string, NewDeviceBudget & { since: number }>();
  /** Sensors ("site/segment") refused once for a segment name another site has: logged once each. */
  private readonly sameNameWarned = new Set<string>();
  private draining = false;

  constructor(
    private readonly db: Database,
    private readonly feed: EventFeed,
    private readonly sink: NotifySink,
    private readonly opts: HubOptions,
  ) {
    this.devices = new DeviceInventory(db);
  }

  start(): void {
    void connectBroker(this.opts.broker, `argus-hub-${this.opts.prefix}`).then(
      (client) => {
        if (this.stopped) return void client.end(true);
        this.client = client;
        client.handleMessage = (packet, callback) => {
          // Refused before it is decoded (acknowledged: a redelivery would be as large).
          if (packet.payload.length > MAX_MESSAGE_BYTES) {
            log.warn("segment message ignored: larger than the hub accepts", { topic: packet.topic.slice(0, 200), bytes: packet.payload.length });
            return void callback();
          }
          this.arrive({ topic: packet.topic, payload: Buffer.from(packet.payload).toString("utf8"), ack: () => callback() });
        };
        client.on("connect", (ack) => {
          if (this.lastError) log.info("segment broker connected", { role: "hub" });
          this.lastError = null;
          this.connectedAt = Date.now();
          // A session the broker kept has the subscription already; subscribing again is harmless.
          if (!ack.sessionPresent) client.subscribe(eventsWildcard(this.opts.prefix), { qos: 1 });
        });
        client.on("close", () => {
          this.connectedAt = null;
        });
        client.on("error", (e) => {
          const error = brokerError(e);
          if (error !== this.lastError) log.warn("segment broker error", { role: "hub", error });
          this.lastError = error;
        });
      },
      (e) => log.error("mqtt unavailable", { error: String(e) }),
    );
    this.timer = setInterval(() => this.checkSilent(), this.opts.checkEveryMs ?? 5000);
  }

  status(): HubStatus {
    return { connected: this.client?.connected === true, last_error: this.lastError };
  }

  sensors(now = Date.now()): SensorRecord[] {
    return listSensors(this.db, now, this.opts.offlineAfterS());
  }

  /**
   * Asks a sensor to scan its segment: published QoS 1 (the broker keeps it for a sensor that is
   * away; the sensor refuses it once stale). Null when the hub is not connected to the broker.
   */
  async commandScan(site: string, segment: string, profile: string): Promise<ScanCommand | null> {
    const client = this.client;
    if (!client?.connected) return null;
    const cmd: ScanCommand = { v: PROTOCOL_VERSION, command_id: randomBytes(8).toString("hex"), kind: "scan", profile, sent_at: isoNow() };
    await client.publishAsync(commandsTopic(this.opts.prefix, site, segment), JSON.stringify(cmd), { qos: 1 });
    return cmd;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const client = this.client;
    if (client) await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }

  /** One message from the broker: checked, applied once, published (what the broker's messages go through). */
  receive(topic: string, payload: string): Promise<void> {
    return this.applyOne({ topic, payload });
  }

  private arrive(m: Incoming): void {
    this.incoming.push(m);
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => void this.drain());
  }

  /** Applies what arrived, one message after the other (a sensor's numbers in order), each acknowledged once applied. */
  private async drain(): Promise<void> {
    let turn = performance.now();
    try {
      while (this.incoming.length > 0) {
        if (performance.now() - turn >= SLICE_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          turn = performance.now();
        }
        // Stopping (the database closes next): not applied, not acknowledged; the broker delivers them again.
        if (this.stopped) return;
        const m = this.incoming.shift()!;
        try {
          await this.applyOne(m);
        } finally {
          // Acknowledged after the commit; a message that could not be applied is acknowledged too
          // (logged): a redelivery would fail the same way, forever.
          m.ack?.();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Checks and applies one message. A batch's device records go STEP at a time, each slice in a
   * transaction of its own with the event loop handed back after about SLICE_MS (a 2,000-device
   * message is seconds of work the API must not wait behind); its changes and its number are stored
   * in the last transaction. Device records are upserts, so a crash between slices means a
   * redelivery that applies them again to the same effect, and the changes once.
   */
  private async applyOne({ topic, payload }: Incoming): Promise<void> {
    const key = parseEventsTopic(this.opts.prefix, topic);
    const m = key ? parseMessage(payload) : null;
    if (!key || !m) {
      log.warn("segment message ignored: not a sensor message", { topic: topic.slice(0, 200) });
      return;
    }
    const name = `${key.site}/${key.segment}`;
    try {
      const owner = siteOwningSegment(this.db, key);
      if (owner !== null) {
        if (!this.sameNameWarned.has(name)) {
          this.sameNameWarned.add(name);
          log.warn("segment messages refused: another site's sensor already reports this segment name (names must be unique across sites)", { site: key.site, segment: key.segment, owner });
        }
        return;
      }
      if (m.kind === "heartbeat") {
        this.db.transaction(() => heard(this.db, key, m, isoNow())).immediate();
        return this.heardFrom(name);
      }
      const admitted = this.db.transaction(() => admit(this.db, key, m, isoNow())).immediate();
      this.heardFrom(name);
      if (!admitted.fresh) return;
      const budget = this.budget(name);
      const state: MessageState = messageState();
      const devices = m.kind === "batch" ? m.devices : [];
      let i = 0;
      let sliceStart = performance.now();
      for (;;) {
        const last = i + STEP >= devices.length;
        const r = this.db
          .transaction(() => {
            const now = isoNow();
            const slice = applyDevices(this.db, key, devices.slice(i, i + STEP), now, budget, state);
            const end = last ? finishMessage(this.db, key, m, admitted.missed, now, state) : null;
            const changes = end ? [...slice.changes, ...end.changes] : slice.changes;
            this.enqueue(name, changes);
            return { changes, touched: slice.touched, forgotten: end?.forgotten ?? [] };
          })
          .immediate();
        this.publish(r.changes, r.touched);
        // Forgotten: Home Assistant drops its entity, live views the row (as a forget on the hub does).
        for (const id of r.forgotten) this.feed.publish({ type: "device", id, device: null });
        if (last) break;
        i += STEP;
        if (performance.now() - sliceStart >= SLICE_MS) {
          // A macrotask, not a microtask: the server's sockets are served before the next slice.
          await new Promise((resolve) => setTimeout(resolve, 0));
          sliceStart = performance.now();
        }
      }
      if (admitted.missed > 0) log.warn("segment messages lost before this one (dropped from the sensor's full outbox)", { ...key, missed: admitted.missed });
      if (m.kind === "dropped") log.warn("sensor dropped messages while the broker was away", { ...key, count: m.count });
    } catch (e) {
      log.error("segment message not applied", { ...key, error: String(e) });
    }
  }

  private heardFrom(name: string): void {
    if (this.online.has(name)) return;
    this.online.add(name);
    this.feed.publish({ type: "status", source: "sensors" });
  }

  /** The sensor's budget of new devices for the current window (a new window, a new budget). */
  private budget(name: string): NewDeviceBudget {
    const nowMs = Date.now();
    let b = this.budgets.get(name);
    if (!b || nowMs - b.since >= NEW_DEVICES_WINDOW_MS) {
      b = { ...newDeviceBudget(), since: nowMs };
      this.budgets.set(name, b);
    }
    return b;
  }

  /**
   * Reports sensors silent past the limit. Only once connected for that long: a hub that was down, or
   * cut off from the broker, has not heard anyone, and the sensors' queued messages are still coming.
   */
  /**
   * Queues the notifications of a sensor's changes (inside the transaction). A sighting flood on the
   * sensor (random MACs by the minute) must not become one message per device here either: while it
   * lasts, that segment's newcomers go into one digest and get no Home Assistant entity.
   */
  private enqueue(name: string, changes: Change[]): void {
    if (changes.length === 0) return;
    const nowMs = Date.now();
    if (changes.some((c) => c.change_type === "sighting_flood")) this.floodUntil.set(name, nowMs + FLOOD_WINDOW_MS);
    const flooding = (this.floodUntil.get(name) ?? 0) > nowMs;
    const flood = flooding ? changes.filter((c) => NEWCOMER_TYPES.has(c.change_type)) : [];
    const rest = flooding ? changes.filter((c) => !NEWCOMER_TYPES.has(c.change_type)) : changes;
    const never = this.db.query("UPDATE devices SET announce_after_ms = ? WHERE id = ?");
    for (const c of flood) if (c.device_id !== null) never.run(NEVER, c.device_id);
    if (rest.length > 0) this.sink.enqueue(rest, null);
    if (flood.length > 0) this.sink.enqueue(flood, null, { floodDigestMs: this.opts.floodDigestMs ?? FLOOD_WINDOW_MS });
  }

  private checkSilent(): void {
    const limitMs = this.opts.offlineAfterS() * 1000;
    if (this.connectedAt === null || Date.now() - this.connectedAt < limitMs) return;
    const changes = this.db
      .transaction(() => {
        const c = reportSilentSensors(this.db, Date.now(), this.opts.offlineAfterS());
        if (c.length > 0) this.sink.enqueue(c, null);
        return c;
      })
      .immediate();
    for (const c of changes) this.online.delete(c.new_value!);
    this.publish(changes, []);
    if (changes.length > 0) this.feed.publish({ type: "status", source: "sensors" });
  }

  private publish(changes: Change[], touched: number[]): void {
    if (changes.length > 0) this.feed.publish({ type: "changes", scan_id: null, changes });
    this.feed.publishDevices(touched, (ids) => this.devices.records(ids));
  }
}
