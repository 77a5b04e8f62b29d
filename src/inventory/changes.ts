// The change log as the owner reads it: filtered, newest first, and acknowledged one by one.
// Changes are written by the identity and change rules (identity.ts) that scans (reconcile.ts) and
// passive sightings (sightings.ts) share; this module never creates them.
import type { Database } from "bun:sqlite";
import { fetchPage, Where, type ListQuery } from "../db/paging.ts";
import { toIso } from "../time.ts";
import { deviceDisplayName, type NamedDevice } from "./display-name.ts";
import type { Change as ChangeSchema } from "./schema.ts";
import type { ChangeType, Severity } from "./observation.ts";

/** A recorded change, as the API answers it. */
export type StoredChange = ChangeSchema;

export type ChangeFilter = {
  scan_id?: number;
  device_id?: number;
  change_type?: ChangeType;
  severity?: Severity;
  /** ISO 8601 UTC, whole seconds, `Z` — the form detected_at is stored in, so text order is time order. */
  since?: string;
  acknowledged?: boolean;
  limit: number;
  offset: number;
};

const COLUMNS = "id, scan_id, device_id, device_ip, device_mac, change_type, severity, old_value, new_value, description, detected_at, segment, acknowledged";

type ChangeRow = Omit<StoredChange, "acknowledged" | "device_name"> & { acknowledged: number };

/**
 * The records with `device_name`: the device's name as it is now (computed when read, so a renamed
 * device shows its new name on its old changes), or the recorded IP of a device since forgotten.
 * One lookup for the page's devices, after the page is cut (the listing's query plan stays its own).
 */
function withNames(db: Database, rows: ChangeRow[]): StoredChange[] {
  const ids = [...new Set(rows.flatMap((r) => (r.device_id === null ? [] : [r.device_id])))];
  const devices = new Map<number, NamedDevice>();
  if (ids.length > 0) {
    const found = db.query("SELECT id, label, hostname, vendor, ip_address FROM devices WHERE id IN (SELECT value FROM json_each(?))").all(JSON.stringify(ids)) as (NamedDevice & { id: number })[];
    for (const d of found) devices.set(d.id, d);
  }
  return rows.map((r) => {
    const d = r.device_id === null ? undefined : devices.get(r.device_id);
    return { ...r, acknowledged: r.acknowledged === 1, device_name: deviceDisplayName(d ?? { ip_address: r.device_ip }) };
  });
}

/**
 * The SQL of a listing, newest first by id (the order the diff recorded them): the count for
 * X-Total-Count and the page (LIMIT and OFFSET last). Exported for the query-plan test.
 */
export function changeListQueries(filter: Omit<ChangeFilter, "limit" | "offset">): ListQuery {
  // Without ANALYZE statistics SQLite may pick the index of a low-cardinality column (type,
  // severity, acknowledged) over device_id's and look up 100,000 rows to count 100. A unary "+"
  // keeps a column out of index selection, so the most selective filter leads: a device or scan,
  // then `since` (a recent cut-off), then the type/severity/acknowledged indexes.
  const selective = filter.device_id !== undefined || filter.scan_id !== undefined;
  const narrow = selective || filter.since !== undefined ? "+" : "";
  const where = new Where()
    .eq("scan_id", filter.scan_id)
    .eq(filter.scan_id !== undefined ? "+device_id" : "device_id", filter.device_id)
    .eq(`${narrow}change_type`, filter.change_type)
    .eq(`${narrow}severity`, filter.severity)
    .eq(`${narrow}acknowledged`, filter.acknowledged === undefined ? undefined : filter.acknowledged ? 1 : 0);
  if (filter.since !== undefined) where.add(`${selective ? "+" : ""}detected_at >= ?`, filter.since);
  const { clause, args } = where;
  return { count: `SELECT count(*) AS n FROM changes ${clause}`, select: `SELECT ${COLUMNS} FROM changes ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`, args };
}

export class ChangeLog {
  constructor(private readonly db: Database) {}

  /** Newest first (by id: the order the diff recorded them), with the unpaginated total. */
  list(filter: ChangeFilter): { items: StoredChange[]; total: number } {
    const { rows, total } = fetchPage<ChangeRow>(this.db, changeListQueries(filter), filter);
    return { items: withNames(this.db, rows), total };
  }

  /** The changes recorded by the scans after `afterScanId`, up to and including `upToScanId`, in order. */
  between(afterScanId: number, upToScanId: number): StoredChange[] {
    const rows = this.db.query(`SELECT ${COLUMNS} FROM changes WHERE scan_id > ? AND scan_id <= ? ORDER BY id`).all(afterScanId, upToScanId) as ChangeRow[];
    return withNames(this.db, rows);
  }

  get(id: number): StoredChange | null {
    const row = this.db.query(`SELECT ${COLUMNS} FROM changes WHERE id = ?`).get(id) as ChangeRow | null;
    return row ? withNames(this.db, [row])[0] : null;
  }

  /** Marks a change as seen; acknowledging twice is harmless. Null for an unknown id. */
  acknowledge(id: number): StoredChange | null {
    this.db.query("UPDATE changes SET acknowledged = 1 WHERE id = ?").run(id);
    return this.get(id);
  }
}

/**
 * An ISO 8601 timestamp as the API accepts it, as epoch milliseconds with its fraction kept (which
 * may be fractional itself); null when it is not a real instant. A date alone means midnight UTC; a
 * time without an offset means UTC.
 */
export function parseInstant(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = "00", mi = "00", s = "00", fraction = "0", zone = "Z"] = m;
  const offset = zone.toUpperCase() === "Z" ? "Z" : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`);
  if (Number.isNaN(ms)) return null;
  // Date.parse rolls 2024-02-30 over to March; a date that does not exist is an error, not a guess.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  return ms + Number(`0.${fraction}`) * 1000;
}

/** An ISO 8601 timestamp as the API accepts it for `since`, normalised to the stored form; null when it is not a real instant. */
export function parseSince(text: string): string | null {
  const ms = parseInstant(text);
  // Fractions are dropped (stored times are whole seconds); rounding down keeps `since` inclusive.
  return ms === null ? null : toIso(Math.floor(ms / 1000) * 1000);
}

