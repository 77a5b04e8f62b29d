// What the departure prober (passive/departures.ts) writes: a device that answered a probe was seen
// (source "probe"), one that left two probes unanswered went offline with a `device_removed`. Both
// run inside the caller's transaction; the caller publishes the changes after the commit.
//
// These two functions are the one place the prober writes presence: each also keeps the device's
// presence sessions (inventory/presence.ts; SPEC §7 "Presence").
import type { Database } from "bun:sqlite";
import { nameWithAddress, type NamedDevice } from "./display-name.ts";
import type { PresenceMode } from "./enums.ts";
import { InventoryWriter } from "./identity.ts";
import type { Change, Severity } from "./observation.ts";
import { markGone, markSeen } from "./presence.ts";

/** The severity of a departure by the device's presence mode (SPEC §7). */
export const DEPARTURE_SEVERITY: Record<PresenceMode, Severity> = { always_on: "warning", normal: "info", can_sleep: "info" };

export type Departed = {
  id: number;
  ip: string;
  mac: string;
  mode: PresenceMode;
  /** When it was last heard (ISO, stored form): a scan or sighting after it means it did not leave. */
  lastSeen: string;
  /** Probes it left unanswered in a row. */
  probes: number;
};

/**
 * Marks a device offline that left its probes unanswered, with a `device_removed` change. Nothing
 * when it is already offline or was seen after `lastSeen` (a scan or a sighting won the race).
 */
export function markDeparted(db: Database, d: Departed, now: string): { changes: Change[]; touched: number[] } {
  const res = db.query("UPDATE devices SET status = 'offline' WHERE id = ? AND status = 'online' AND last_seen <= ?").run(d.id, d.lastSeen);
  if (res.changes === 0) return { changes: [], touched: [] };
  markGone(db, d.id, d.lastSeen);
  const named = db.query("SELECT label, hostname, vendor, ip_address FROM devices WHERE id = ?").get(d.id) as NamedDevice;
  const w = new InventoryWriter(db, null, now);
  w.change(
    { id: d.id, ip: d.ip, mac: d.mac },
    "device_removed",
    DEPARTURE_SEVERITY[d.mode],
    `Device ${nameWithAddress(named)} went offline (no answer to ${d.probes} ARP probes since it was last seen at ${d.lastSeen})`,
    d.ip,
    null,
  );
  return { changes: w.changes, touched: [d.id] };
}

/** Devices that answered a probe at `now`: seen (source "probe"), as long as they are online. */
export function markSeenByProbe(db: Database, ids: number[], now: string): void {
  const seen = db.query("UPDATE devices SET last_seen = ?, missed_scans = 0 WHERE id = ? AND status = 'online' AND last_seen < ?");
  for (const id of ids) if (seen.run(now, id, now).changes > 0) markSeen(db, id, now, "probe");
}
