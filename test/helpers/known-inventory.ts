// An inventory that is not empty. The first complete network scan into an empty inventory is the
// baseline (its devices are info, announced in one digest: issue 18's quiet first run); suites about
// what a later scan announces start from an inventory that already knows a device. It is offline and
// outside every test subnet, so no scan covers it, misses it or reports it.
import type { Database } from "bun:sqlite";

export const KNOWN_DEVICE_IP = "198.51.100.200";

export function seedKnownDevice(db: Database): number {
  const at = "2026-01-01T00:00:00Z";
  return Number(
    db
      .query("INSERT INTO devices (mac_address, ip_address, status, first_seen, last_seen, hostname) VALUES ('02:00:5e:00:00:c8', ?, 'offline', ?, ?, 'known-before')")
      .run(KNOWN_DEVICE_IP, at, at).lastInsertRowid,
  );
}
