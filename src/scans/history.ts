// Reading past scans: the list, one scan, the devices it saw, and a comparison of two scans.
import type { Database } from "bun:sqlite";
import { fetchPage, Where } from "../db/paging.ts";
import { ChangeLog } from "../inventory/changes.ts";
import type { ScanStatus } from "./enums.ts";
import type { ComparedDevice, Scan, ScanComparison, ScanDevice } from "./schema.ts";

export { SCAN_KINDS, SCAN_STATUSES, type ScanKind, type ScanStatus } from "./enums.ts";

// The shapes answered here are the scans' schemas (schema.ts), which the API serves.
export type ScanRecord = Scan;
export type { ScanComparison, ScanDevice };

const COLUMNS = "id, scan_type, profile, subnet, status, started_at, finished_at, duration_seconds, hosts_total, hosts_found, ports_scanned, open_ports, devices_added, devices_removed, changes_count, degraded, error, segment";

const toRecord = (r: Omit<ScanRecord, "degraded"> & { degraded: number }): ScanRecord => ({ ...r, degraded: r.degraded === 1 });

/** Scans, newest first; `segment`: only those of that segment (a hub's copies of a sensor's scans). */
export function listScans(db: Database, f: { status?: ScanStatus; segment?: string; limit: number; offset: number }): { items: ScanRecord[]; total: number } {
  const { clause, args } = new Where().eq("status", f.status || undefined).eq("segment", f.segment || undefined);
  const { rows, total } = fetchPage<Omit<ScanRecord, "degraded"> & { degraded: number }>(
    db,
    { count: `SELECT count(*) AS n FROM scans ${clause}`, select: `SELECT ${COLUMNS} FROM scans ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`, args },
    f,
  );
  return { items: rows.map(toRecord), total };
}

export function getScan(db: Database, id: number): ScanRecord | null {
  const row = db.query(`SELECT ${COLUMNS} FROM scans WHERE id = ?`).get(id) as (Omit<ScanRecord, "degraded"> & { degraded: number }) | null;
  return row ? toRecord(row) : null;
}

export function scanDevices(db: Database, scanId: number, page: { limit: number; offset: number }): { items: ScanDevice[]; total: number } {
  const { rows, total } = fetchPage<Omit<ScanDevice, "open_ports"> & { open_ports: string }>(
    db,
    {
      count: "SELECT count(*) AS n FROM scan_devices WHERE scan_id = ?",
      // The type shown is the owner's over the guess (inventory/devices.ts SHOWN_TYPE_SQL).
      select: `SELECT sd.device_id, sd.ip_address, sd.mac_address, d.hostname, d.vendor, coalesce(d.type_override, d.device_type) AS device_type, sd.method, sd.rtt_ms, sd.open_ports
               FROM scan_devices sd JOIN devices d ON d.id = sd.device_id WHERE sd.scan_id = ? ORDER BY sd.device_id LIMIT ? OFFSET ?`,
      args: [scanId],
    },
    page,
  );
  return { items: rows.map((r) => ({ ...r, open_ports: JSON.parse(r.open_ports) })), total };
}

/** What differs between two scans: devices seen in one and not the other, and the changes recorded in between. */
export function compareScans(db: Database, current: ScanRecord, previous: ScanRecord): ScanComparison {
  const seen = (scanId: number) =>
    new Map(
      (
        db
          .query(`SELECT sd.device_id, sd.ip_address, sd.mac_address, d.hostname, d.label FROM scan_devices sd JOIN devices d ON d.id = sd.device_id WHERE sd.scan_id = ? ORDER BY sd.device_id`)
          .all(scanId) as ComparedDevice[]
      ).map((r) => [r.device_id, r]),
    );
  const now = seen(current.id);
  const before = seen(previous.id);
  // The devices behind the summary's counts, so that a page lists what it counts.
  const added = [...now.values()].filter((d) => !before.has(d.device_id));
  const removed = [...before.values()].filter((d) => !now.has(d.device_id));
  const [low, high] = current.id > previous.id ? [previous.id, current.id] : [current.id, previous.id];
  const changes = new ChangeLog(db).between(low, high);
  return {
    current_scan: current,
    previous_scan: previous,
    changes,
    summary: {
      devices_added: added.length,
      devices_removed: removed.length,
      total_changes: changes.length,
    },
    devices_added: added,
    devices_removed: removed,
  };
}
