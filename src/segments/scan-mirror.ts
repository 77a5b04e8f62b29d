// Role hub: a sensor's finished scans in the hub's own scan history (GET /api/scans, the Scans page),
// with their segment. The row's id is the hub's (a sensor's ids would collide with the hub's and with
// other sensors'); the sensor's instance and scan id are kept beside it (migration 29), so a replayed
// record (the same message again, or the same scan in a later message) never makes a second row.
import type { Database } from "bun:sqlite";
import type { WireScan } from "./protocol.ts";
import { cleanScan } from "./sanitize.ts";

/** Stores each scan once per (segment, instance, sensor scan id); returns the hub's ids of the rows it added. Inside the caller's transaction. */
export function storeScans(db: Database, segment: string, instance: string, scans: WireScan[], now: string): number[] {
  const insert = db.query(
    `INSERT INTO scans (scan_type, profile, subnet, status, started_at, finished_at, duration_seconds, hosts_total, hosts_found, ports_scanned, open_ports,
       devices_added, devices_removed, changes_count, degraded, error, segment, sensor_instance, sensor_scan_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (segment, sensor_instance, sensor_scan_id) WHERE sensor_scan_id IS NOT NULL DO NOTHING`,
  );
  const ids: number[] = [];
  for (const raw of scans) {
    const s = cleanScan(raw, now);
    const res = insert.run(
      s.scan_type, s.profile, s.subnet, s.status, s.started_at, s.finished_at, s.duration_seconds, s.hosts_total, s.hosts_found, s.ports_scanned, s.open_ports,
      s.devices_added, s.devices_removed, s.changes_count, s.degraded ? 1 : 0, s.error, segment, instance, s.id,
    );
    if (res.changes > 0) ids.push(Number(res.lastInsertRowid));
  }
  return ids;
}
