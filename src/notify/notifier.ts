// The appliance's notification service: the sink scans and passive sightings queue their messages
// into (inside their transactions), the delivery worker, one MQTT bridge per mqtt channel (kept in
// step with the configuration as it changes), and test messages for POST /api/notifications/test.
// After a commit it follows the event feed (events.ts): committed changes wake the sender, a device
// event updates that one device in Home Assistant, a new configuration re-plans the bridges.
import type { Database } from "bun:sqlite";
import type { EventFeed } from "../events.ts";
import type { Change } from "../inventory/observation.ts";
import { log } from "../log.ts";
import { sendEmail } from "./channels/email.ts";
import { sendGotify, sendNtfy, sendWebhook } from "./channels/http.ts";
import { MqttBridge } from "./channels/mqtt.ts";
import type { Channel, MqttChannel, NotificationsConfig } from "./config.ts";
import { checkDestination, destinationHost, NOT_ACCEPTED } from "./destination.ts";
import { enqueueTest, type ScanRef } from "./queue.ts";
import { queueChanges, type EnqueueOptions, type NotifySink } from "./sink.ts";
import { DEFAULT_RETRY_DELAYS_MS, DeliveryWorker, type AttemptResult, type QueuedMessage } from "./worker.ts";

export type NotifierOptions = {
  /** Milliseconds before the first try, then between tries (default 0 then DEFAULT_RETRY_DELAYS_MS). */
  schedule?: number[];
  pollMs?: number;
};

export class UnknownChannelError extends Error {}

export class Notifier implements NotifySink {
  private readonly worker: DeliveryWorker;
  private readonly bridges = new Map<string, { key: string; bridge: MqttBridge }>();
  private readonly holdMs: number;
  private seenConfig: NotificationsConfig | null = null;
  private unfollow: () => void = () => {};

  constructor(
    private readonly db: Database,
    private readonly config: () => NotificationsConfig,
    opts: NotifierOptions = {},
  ) {
    const schedule = opts.schedule ?? [0, ...DEFAULT_RETRY_DELAYS_MS];
    this.holdMs = schedule[0] ?? 0;
    this.worker = new DeliveryWorker(db, () => this.config().channels, (m, c, signal, timeoutMs) => this.send(m, c, signal, timeoutMs), {
      retryDelaysMs: schedule.slice(1),
      pollMs: opts.pollMs,
    });
  }

  /** Starts sending; with a feed, follows it (committed changes, changed devices, a new configuration). */
  start(feed?: EventFeed): void {
    this.applyConfig();
    this.worker.start();
    if (!feed) return;
    const unsubscribe = feed.subscribe((e) => {
      if (e.type === "changes") {
        this.applyConfig();
        this.worker.kick();
      } else if (e.type === "device") {
        for (const { bridge } of this.bridges.values()) bridge.update(e.id);
      } else if (e.type === "config") {
        // New, changed or removed MQTT brokers.
        this.applyConfig();
      }
    });
    this.unfollow = unsubscribe;
  }

  enqueue(changes: Change[], scan: ScanRef | null, opts?: EnqueueOptions): void {
    queueChanges(this.db, changes, this.config(), scan, Date.now(), this.holdMs, opts);
  }

  /** The whole inventory may have changed (a restored backup): bring Home Assistant's view up to date. */
  inventoryReplaced(): void {
    for (const { bridge } of this.bridges.values()) void bridge.sync();
  }

  /**
   * Sends a test message to `name` now and reports the outcome (also recorded in the delivery list):
   * sent, or failed with a coarse reason only (see destination.ts).
   */
  async test(name: string): Promise<AttemptResult & { id: number }> {
    const channel = this.config().channels.find((c) => c.name === name);
    if (!channel) throw new UnknownChannelError(`No notification channel named "${name}"`);
    this.applyConfig();
    const started = Date.now();
    const timeoutMs = (channel.timeout_seconds ?? 10) * 1000;
    if (channel.type === "mqtt") await this.bridges.get(name)?.bridge.waitConnected(timeoutMs);
    const id = enqueueTest(this.db, name);
    const result = await this.worker.deliverNow(id);
    // A failure answers no sooner than a timeout would: how long it took must not tell a refused
    // connection from a silent host either.
    if (result.status !== "sent" && result.error === NOT_ACCEPTED) await Bun.sleep(Math.max(0, started + timeoutMs - Date.now()));
    return { id, ...result };
  }

  /** Bridges for the MQTT channels: syncs them after the stores settle. */
  async syncMqtt(): Promise<void> {
    await Promise.all([...this.bridges.values()].map(({ bridge }) => bridge.sync()));
  }

  async stop(): Promise<void> {
    this.unfollow();
    await this.worker.stop();
    await Promise.all([...this.bridges.values()].map(({ bridge }) => bridge.stop()));
    this.bridges.clear();
  }

  private applyConfig(): void {
    const cfg = this.config();
    if (cfg === this.seenConfig) return;
    this.seenConfig = cfg;
    const wanted = new Map(cfg.channels.filter((c): c is MqttChannel => c.type === "mqtt" && c.enabled !== false).map((c) => [c.name, c]));
    const allowLoopback = cfg.allow_loopback_destinations === true;
    const keyOf = (c: MqttChannel) => JSON.stringify([c, allowLoopback]);
    for (const [name, { key, bridge }] of this.bridges) {
      const next = wanted.get(name);
      if (next && keyOf(next) === key) continue;
      void bridge.stop();
      this.bridges.delete(name);
    }
    for (const [name, c] of wanted) {
      if (this.bridges.has(name)) continue;
      const bridge = new MqttBridge(this.db, c, allowLoopback);
      this.bridges.set(name, { key: keyOf(c), bridge });
      bridge.start();
    }
  }

  private async send(m: QueuedMessage, c: Channel, signal: AbortSignal, timeoutMs: number): Promise<void> {
    const host = destinationHost(c);
    if (host !== null) await checkDestination(host, this.config().allow_loopback_destinations === true, signal);
    switch (c.type) {
      case "webhook":
        return sendWebhook(c, m.payload, m.body, m.id, signal);
      case "ntfy":
        return sendNtfy(c, m.payload, signal);
      case "gotify":
        return sendGotify(c, m.payload, signal);
      case "email":
        return sendEmail(c, m.payload, timeoutMs, signal);
      case "mqtt": {
        const bridge = this.bridges.get(c.name)?.bridge;
        if (!bridge) throw new Error(`channel "${c.name}" is disabled`);
        return bridge.publishEvent(m.payload, signal);
      }
    }
  }
}
