// The one event feed of the appliance (SPEC §7 "Live events"). Whatever changes the inventory or the
// state others show (a scan, a passive sighting, an edit through the API, a new configuration)
// publishes here, and only once its transaction has committed: a rolled-back write is never heard of.
// Everyone who reacts after a commit subscribes here: the live streams (/api/events, /api/scan/events),
// the notifier (wakes its sender, updates Home Assistant for the devices named) and the metrics.
//
// Durable work that must share the writer's transaction (queueing notifications) is not done here:
// it happens inside the transaction (notify/sink.ts). A listener that throws is logged and skipped;
// it cannot stop the publisher or the other listeners.
import type { AppConfig, ResolvedConfig } from "./config/app-config.ts";
import type { Device } from "./inventory/devices.ts";
import type { Change } from "./inventory/observation.ts";
import { log } from "./log.ts";
import type { ScanStatus } from "./scans/history.ts";
import type { Progress } from "./scans/pipeline.ts";

export type StatusProgress = Progress & { elapsed_seconds: number; eta_seconds: number | null };

/** What the feed's `scan` events carry (scans/manager.ts publishes them). */
export type ScanEvent =
  | { type: "progress"; scan_id: number; progress: StatusProgress }
  | { type: "finished"; scan_id: number; status: ScanStatus; changes: number }
  /** The appliance is shutting down: live streams should end. */
  | { type: "closing" };

export type FeedEvent =
  /** Change records just committed; `scan_id` null for changes recorded outside a scan (passive watch). */
  | { type: "changes"; scan_id: number | null; changes: Change[] }
  /**
   * A device record that changed (as GET /api/devices lists it); `device` null once it was forgotten.
   * `forgotten_mac`: the MAC of a device the owner forgot (not one merged into another), which a
   * sensor tells its hub.
   */
  | { type: "device"; id: number; device: Device | null; forgotten_mac?: string | null }
  /** Scan lifecycle: progress, finished, and `closing` when the appliance shuts down. */
  | { type: "scan"; scan: ScanEvent }
  /** The state of a background part changed (the passive watch's interfaces or flood, the schedule, a hub's sensors coming or going, a source's run). */
  | { type: "status"; source: "passive" | "schedule" | "sensors" | "sources" }
  /** The configuration in force was replaced (PUT /api/config, the setup wizard, learned infrastructure). */
  | { type: "config"; config: AppConfig; resolved: ResolvedConfig; changed: string[] };

export type FeedEventType = FeedEvent["type"];
type Of<T extends FeedEventType> = Extract<FeedEvent, { type: T }>;

export class EventFeed {
  private readonly listeners = new Set<(e: FeedEvent) => void>();

  /** Hands `e` to every listener, synchronously, in subscription order. Call only after the commit. */
  publish(e: FeedEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        log.warn("event listener failed", { event: e.type, error: String(err) });
      }
    }
  }

  /** Every event; returns the unsubscribe function. */
  subscribe(listener: (e: FeedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events of one type only. */
  on<T extends FeedEventType>(type: T, listener: (e: Of<T>) => void): () => void {
    return this.subscribe((e) => {
      if (e.type === type) listener(e as Of<T>);
    });
  }

  /** Publishes the device records (read now, after the commit) of the devices a write touched. */
  publishDevices(ids: Iterable<number>, read: (ids: number[]) => Map<number, Device>): void {
    const list = [...new Set(ids)];
    if (list.length === 0 || this.listeners.size === 0) return;
    const records = read(list);
    for (const id of list) this.publish({ type: "device", id, device: records.get(id) ?? null });
  }
}
