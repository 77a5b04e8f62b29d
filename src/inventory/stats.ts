// Dashboard numbers and chart series, derived on demand from the inventory and the scan history;
// nothing here is stored separately, so the numbers cannot drift from the lists they summarise.
import type { Database } from "bun:sqlite";
import type { DeviceTypeCount, LastScan, Stats, TrendPoint } from "./stats-schema.ts";
import { SHOWN_TYPE_SQL } from "./devices.ts";
import { toIso } from "../time.ts";

/**
 * Levels that make an untrusted device count as at risk (the rule of risk/score.ts: medium and up;
 * "low" findings are advice). Trust is read at query time, so marking a device trusted takes it out
 * of every at-risk count immediately while it keeps its findings.
 */
export const AT_RISK_LEVELS = ["medium", "high", "critical"] as const;
export const AT_RISK_SQL = `(${AT_RISK_LEVELS.map((l) => `'${l}'`).join(", ")})`;

// The shapes answered here are the dashboard schemas (stats-schema.ts), which the API serves.
export type { LastScan, Stats, TrendPoint };

export const TREND_DAYS_MAX = 365;
const DAY_MS = 86_400_000;

export class InventoryStats {
  constructor(private readonly db: Database) {}

  stats(now: number = Date.now()): Stats {
    const counts = this.db
      .query(
        `SELECT count(*) AS total_devices,
                coalesce(sum(status = 'online'), 0) AS online_devices,
                coalesce(sum(first_seen >= ?), 0) AS new_devices_24h,
                coalesce(sum(is_trusted = 0 AND risk_level IN ${AT_RISK_SQL}), 0) AS devices_at_risk,
                coalesce(sum(is_trusted = 0 AND risk_level = 'critical'), 0) AS critical,
                coalesce(sum(is_trusted = 0 AND risk_level = 'high'), 0) AS high,
                coalesce(sum(is_trusted = 0 AND risk_level = 'medium'), 0) AS medium,
                coalesce(sum(is_trusted = 0 AND risk_level = 'low'), 0) AS low
           FROM devices`,
      )
      .get(toIso(now - DAY_MS)) as Omit<Stats, "open_ports" | "last_scan">;
    const open_ports = (this.db.query("SELECT count(*) AS n FROM ports").get() as { n: number }).n;
    // The network scan is what the dashboard's numbers come from; a one-device rescan is not "the last scan".
    const last_scan = this.db
      .query("SELECT id, status, profile, started_at, finished_at FROM scans WHERE status = 'completed' AND scan_type = 'network' ORDER BY started_at DESC, id DESC LIMIT 1")
      .get() as LastScan | null;
    return { ...counts, open_ports, last_scan };
  }

  /** How many devices of each guessed type, most common first (the dashboard's type chart). */
  deviceTypes(): DeviceTypeCount[] {
    return this.db
      .query(`SELECT ${SHOWN_TYPE_SQL} AS device_type, count(*) AS count FROM devices GROUP BY 1 ORDER BY count DESC, 1`)
      .all() as DeviceTypeCount[];
  }

  /**
   * One point per completed network scan started in the last `days` days, oldest first (chart order).
   * devices, open_ports, changes and at_risk are the scan's own totals, recorded when it finished; for
   * scans recorded before schema v7 (no at_risk), at_risk counts the devices that scan saw which are at
   * risk now.
   */
  trends(days: number, now: number = Date.now()): TrendPoint[] {
    // Counted from the at-risk devices' sightings since the window's first scan (index on
    // scan_devices(device_id, scan_id)), not by visiting every scan's sightings: the work follows
    // how many devices are at risk, not devices × scans. Sightings of scans outside the window
    // (device scans, failed ones) fall away in the final join.
    return this.db
      .query(
        `WITH window AS (
           SELECT id, started_at, hosts_found, open_ports, changes_count, at_risk FROM scans
            WHERE status = 'completed' AND scan_type = 'network' AND started_at >= ?),
         at_risk AS (
           SELECT sd.scan_id, count(*) AS n
             FROM devices d CROSS JOIN scan_devices sd ON sd.device_id = d.id
            WHERE d.is_trusted = 0 AND d.risk_level IN ${AT_RISK_SQL} AND sd.scan_id >= (SELECT min(id) FROM window)
            GROUP BY sd.scan_id)
         SELECT w.id AS scan_id, w.started_at, w.hosts_found AS devices, coalesce(w.at_risk, r.n, 0) AS at_risk, w.open_ports, w.changes_count AS changes
           FROM window w LEFT JOIN at_risk r ON r.scan_id = w.id
          ORDER BY w.started_at, w.id`,
      )
      .all(toIso(now - days * DAY_MS)) as TrendPoint[];
  }
}
