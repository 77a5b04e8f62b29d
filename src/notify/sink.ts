// Where detected changes go. A scan (src/scans/manager.ts) and a passive sighting both
//  1. call `enqueue(changes, scan)` inside the transaction that inserts the changes, so their messages
//     are committed, or rolled back, with them (the delivery queue, src/notify/queue.ts);
//  2. call `publish(changes, scan)` once that transaction has committed, to wake the sender and bring
//     Home Assistant's view (MQTT) up to date.
// `scan` is null for passive sightings. The appliance's sink is the Notifier (src/notify/notifier.ts);
// `argus scan` uses a queue-only sink (the running service sends what it queued).
import type { Database } from "bun:sqlite";
import type { Change } from "../inventory/observation.ts";
import type { NotificationsConfig } from "./config.ts";
import { enqueueChanges, type ScanRef } from "./queue.ts";

export interface NotifySink {
  /** Inside the caller's transaction. May throw (the transaction then rolls back with it). */
  enqueue(changes: Change[], scan: ScanRef | null): void;
  /** After the commit, also with no changes (devices may have gone online or offline). Must not throw. */
  publish(changes: Change[], scan: ScanRef | null): void | Promise<void>;
}

export const noopSink: NotifySink = { enqueue: () => {}, publish: () => {} };

/** Queues messages but sends nothing: for processes that are not the service (the service's worker polls the queue). */
export function queueOnlySink(db: Database, config: () => NotificationsConfig, holdMs = 0): NotifySink {
  return { enqueue: (changes, scan) => void enqueueChanges(db, changes, config(), scan, Date.now(), holdMs), publish: () => {} };
}
