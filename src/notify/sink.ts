// Where detected changes are queued for notification. A scan (src/scans/manager.ts) and a passive
// sighting call `enqueue(changes, scan)` inside the transaction that inserts the changes, so their
// messages are committed, or rolled back, with them (the delivery queue, src/notify/queue.ts).
// What happens after the commit (waking the sender, Home Assistant's view) follows the event feed
// (src/events.ts). `scan` is null for passive sightings. The appliance's sink is the Notifier
// (src/notify/notifier.ts); `argus scan` uses a queue-only sink (the running service sends what it queued).
import type { Database } from "bun:sqlite";
import type { Change } from "../inventory/observation.ts";
import type { NotificationsConfig } from "./config.ts";
import { enqueueChanges, enqueueFloodDigest, type ScanRef } from "./queue.ts";

/** How passive changes (src/passive/watch.ts) and a first scan's baseline are queued. */
export type EnqueueOptions = {
  /** Hold the messages this long: a newcomer may turn out to be the start of a flood. */
  holdMs?: number;
  /**
   * A flood's devices: into the interface's pending flood digest (one message per channel, sent
   * this long after it was opened), withdrawn from any individual message still held.
   */
  floodDigestMs?: number;
  /** A scan's first-run baseline (src/scans/manager.ts): its new devices in one digest per channel. */
  baseline?: boolean;
};

export interface NotifySink {
  /** Inside the caller's transaction. May throw (the transaction then rolls back with it). */
  enqueue(changes: Change[], scan: ScanRef | null, opts?: EnqueueOptions): void;
}

export const noopSink: NotifySink = { enqueue: () => {} };

/** Queues messages but sends nothing: for processes that are not the service (the service's worker polls the queue). */
export function queueOnlySink(db: Database, config: () => NotificationsConfig, holdMs = 0): NotifySink {
  return { enqueue: (changes, scan, opts) => void queueChanges(db, changes, config(), scan, Date.now(), holdMs, opts) };
}

/** enqueueChanges, or the flood digest, as `opts` say. */
export function queueChanges(db: Database, changes: Change[], cfg: NotificationsConfig, scan: ScanRef | null, now: number, holdMs: number, opts: EnqueueOptions = {}): number {
  if (opts.floodDigestMs !== undefined) return enqueueFloodDigest(db, changes, cfg, now, Math.max(holdMs, opts.floodDigestMs));
  return enqueueChanges(db, changes, cfg, scan, now, Math.max(holdMs, opts.holdMs ?? 0), opts.baseline === true);
}
