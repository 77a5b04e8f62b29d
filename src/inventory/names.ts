// Every name a device goes by, each with where it came from (SPEC §7 "Sources": the device page shows
// every name with its source). devices.hostname holds the one name the evidence ranking chose
// (identity.ts SOURCE_RANK); this keeps the others, so an owner sees that the lease file calls the
// device "nas" while its mDNS name is "DiskStation". Written inside the writer's transaction.
import type { Database } from "bun:sqlite";

/** Names kept per device; a newcomer beyond this drops the name seen longest ago. */
export const NAMES_PER_DEVICE = 16;

/** A name's last_seen is written again only when it is older than this (it says when, to ten minutes). */
export const REFRESH_MS = 10 * 60_000;

const refreshBefore = (now: string) => new Date(Date.parse(now) - REFRESH_MS).toISOString().replace(/\.\d+Z$/, "Z");

export type DeviceName = { name: string; source: string; last_seen: string };

/** Notes that `source` called the device `name` at `now` (index lookups; a prune when a new name puts the device over the bound). */
export function recordName(db: Database, deviceId: number, name: string, source: string, now: string): void {
  const known = db.query("SELECT 1 FROM device_names WHERE device_id = ? AND source = ? AND name = ?").get(deviceId, source, name) !== null;
  if (known) {
    // To the REFRESH_MS: a source read every minute, a chatty device, need not write each time.
    db.query("UPDATE device_names SET last_seen = ? WHERE device_id = ? AND source = ? AND name = ? AND last_seen < ?").run(now, deviceId, source, name, refreshBefore(now));
    return;
  }
  db.query("INSERT INTO device_names (device_id, source, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)").run(deviceId, source, name, now, now);
  // Counted through the primary key's prefix; the prune runs only once a device is over the bound.
  const { n } = db.query("SELECT count(*) AS n FROM device_names WHERE device_id = ?").get(deviceId) as { n: number };
  if (n <= NAMES_PER_DEVICE) return;
  db.query(
    `DELETE FROM device_names WHERE device_id = ?1 AND (source, name) NOT IN
       (SELECT source, name FROM device_names WHERE device_id = ?1 ORDER BY last_seen DESC, source, name LIMIT ?2)`,
  ).run(deviceId, NAMES_PER_DEVICE);
}

/** A device's names, most recently seen first. */
export function namesOf(db: Database, deviceId: number): DeviceName[] {
  return db.query("SELECT name, source, last_seen FROM device_names WHERE device_id = ? ORDER BY last_seen DESC, source, name").all(deviceId) as DeviceName[];
}
