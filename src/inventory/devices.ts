// The inventory as the owner reads and edits it: listing with filters, search, sort and paging;
// one device with its ports, threats and address history; the owner's fields (label, zone,
// trusted, notes); forgetting a device. Everything else is written through identity.ts, by scans
// (reconcile.ts) and by passive sightings (sightings.ts).
import type { Database } from "bun:sqlite";
import { fetchPage, Where, type ListQuery } from "../db/paging.ts";
import { summaryForTrust } from "../risk/score.ts";
import type { RiskLevel } from "../risk/score.ts";
import type { Threat as DeviceThreat } from "../risk/schema.ts";
import type { AddressHistory, BulkActionName, Device, DeviceDetail, DeviceUpdate, Port as DevicePort } from "./schema.ts";
import { macsOf } from "./macs.ts";
import { addressesOf } from "./addresses.ts";
import { sanitizeDevice } from "./device-sanitize.ts";
import { namesOf, type DeviceName } from "./names.ts";
import { NOTIFY_ON_EVENTS, type DeviceStatus, type NotifyOnEvent, type PresenceMode } from "./enums.ts";

export { DEVICE_STATUSES, TRUST_LEVELS, type DeviceStatus } from "./enums.ts";
export { LABEL_MAX, NOTES_MAX, ZONE_MAX } from "./schema.ts";

/** Sort keys for listings; a leading "-" reverses. Every order ends with the id so pages are stable. */
export const DEVICE_SORTS = [
  "ip",
  "-ip",
  "last_seen",
  "-last_seen",
  "first_seen",
  "-first_seen",
  "risk_score",
  "-risk_score",
  "hostname",
  "-hostname",
  "vendor",
  "-vendor",
] as const;
export type DeviceSort = (typeof DEVICE_SORTS)[number];
export const DEFAULT_DEVICE_SORT: DeviceSort = "ip";

// ip_sort is the numeric IPv4 (migration 4), so 10.0.0.2 comes before 10.0.0.10. Names sort
// case-insensitively with unnamed devices last in both directions (they are the least useful rows);
// each direction is spelled to match its index of migration 5, so no order needs a sort step.
const ORDER_BY: Record<DeviceSort, string> = {
  ip: "ip_sort, id",
  "-ip": "ip_sort DESC, id DESC",
  last_seen: "last_seen, id",
  "-last_seen": "last_seen DESC, id DESC",
  first_seen: "first_seen, id",
  "-first_seen": "first_seen DESC, id DESC",
  risk_score: "risk_score, id",
  "-risk_score": "risk_score DESC, id DESC",
  hostname: "hostname IS NULL, hostname COLLATE NOCASE, id",
  "-hostname": "hostname IS NOT NULL DESC, hostname COLLATE NOCASE DESC, id DESC",
  vendor: "vendor IS NULL, vendor COLLATE NOCASE, id",
  "-vendor": "vendor IS NOT NULL DESC, vendor COLLATE NOCASE DESC, id DESC",
};

// The shapes this module answers are the inventory's schemas (schema.ts), which the API serves.
export type { AddressHistory, Device, DeviceDetail, DevicePort, DeviceThreat };

export type DeviceFilter = {
  status?: DeviceStatus;
  risk_level?: RiskLevel;
  is_trusted?: boolean;
  zone?: string;
  /** The segment (a hub's inventory). */
  segment?: string;
  q?: string;
  port?: number;
  sort?: DeviceSort;
  limit: number;
  offset: number;
};

/** The owner's fields; `null` (or "" at the API) clears one, an absent key leaves it alone. */
export type DevicePatch = DeviceUpdate;
export type FieldChange = { old: unknown; new: unknown };

/**
 * The type a device shows: the owner's (type_override, migration 19) over the automatic guess, which
 * scans and sightings go on writing underneath it. Every reader of a device's type uses this.
 */
export const SHOWN_TYPE_SQL = "coalesce(type_override, device_type)";

const DEVICE_COLUMNS = `id, ip_address, mac_address, mac_randomized, hostname, hostname_source, vendor,
  ${SHOWN_TYPE_SQL} AS device_type,
  CASE WHEN type_override IS NOT NULL THEN 'owner' ELSE device_type_source END AS device_type_source,
  CASE WHEN type_override IS NOT NULL THEN NULL ELSE device_type_evidence END AS device_type_evidence,
  icon, os_name, os_source, model, mdns_services, status, presence_mode,
  first_seen, last_seen, times_seen, label, zone, is_trusted, trust_pending, notes, risk_level, risk_score, threat_summary, notify_on, segment`;

type DeviceRow = Omit<Device, "mac_randomized" | "is_trusted" | "trust" | "open_ports" | "mdns_services" | "notify_on"> & {
  mac_randomized: number;
  is_trusted: number;
  trust_pending: number;
  mdns_services: string | null;
  notify_on: string | null;
};

const WORST_FIRST = `CASE level WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END`;

/** LIKE pattern for a case-insensitive substring match that treats %, _ and \ literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The SQL of a listing: the count for X-Total-Count and the page (its last two parameters are
 * LIMIT and OFFSET). Exported so the query-plan test checks exactly what runs.
 */
export function deviceListQueries(filter: Omit<DeviceFilter, "limit" | "offset">): ListQuery {
  const where = new Where()
    .eq("status", filter.status)
    .eq("risk_level", filter.risk_level)
    .eq("is_trusted", filter.is_trusted === undefined ? undefined : filter.is_trusted ? 1 : 0)
    .eq("zone", filter.zone)
    .eq("segment", filter.segment);
  if (filter.port !== undefined) where.add("id IN (SELECT device_id FROM ports WHERE port = ?)", filter.port);
  if (filter.q !== undefined) {
    // SQLite's LIKE is case-insensitive for ASCII, which covers addresses, MACs and most names.
    // MACs are stored lower-case with colons; "AA-BB-CC" (Windows style) finds them too.
    const pattern = containsPattern(filter.q);
    const macPattern = containsPattern(filter.q.replaceAll("-", ":"));
    where.add(
      `(ip_address LIKE ? ESCAPE '\\' OR mac_address LIKE ? ESCAPE '\\' OR hostname LIKE ? ESCAPE '\\' OR vendor LIKE ? ESCAPE '\\' OR label LIKE ? ESCAPE '\\' OR ${SHOWN_TYPE_SQL} LIKE ? ESCAPE '\\')`,
      pattern,
      macPattern,
      pattern,
      pattern,
      pattern,
      pattern,
    );
  }
  const { clause, args } = where;
  return {
    count: `SELECT count(*) AS n FROM devices ${clause}`,
    select: `SELECT ${DEVICE_COLUMNS} FROM devices ${clause} ORDER BY ${ORDER_BY[filter.sort ?? DEFAULT_DEVICE_SORT]} LIMIT ? OFFSET ?`,
    args,
  };
}

export class DeviceInventory {
  constructor(private readonly db: Database) {}

  list(filter: DeviceFilter): { items: Device[]; total: number } {
    const { rows, total } = fetchPage<DeviceRow>(this.db, deviceListQueries(filter), filter);
    return { items: this.withOpenPorts(rows), total };
  }

  get(id: number): DeviceDetail | null {
    const row = this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = ?`).get(id) as DeviceRow | null;
    if (!row) return null;
    const ports = this.portsOf(id);
    const threats = (
      this.db
        .query(`SELECT port, level, description, recommendation, cve_ids FROM threats WHERE device_id = ? ORDER BY ${WORST_FIRST}, port, id`)
        .all(id) as (Omit<DeviceThreat, "cve_ids"> & { cve_ids: string })[]
    ).map((t) => ({ ...t, cve_ids: parseIdList(t.cve_ids) }));
    const ip_history = this.db
      .query("SELECT ip_address, first_seen, last_seen FROM device_addresses WHERE device_id = ? ORDER BY last_seen DESC, ip_address")
      .all(id) as AddressHistory[];
    const device = toDevice(row, [...new Set(ports.map((p) => p.port))], macsOf(this.db, [id]).get(id) ?? [], addressesOf(this.db, [id]).get(id) ?? []);
    const place = this.db.query("SELECT mac_source, attached_to, attached_source, attached_at FROM devices WHERE id = ?").get(id) as Pick<
      DeviceDetail,
      "mac_source" | "attached_to" | "attached_source" | "attached_at"
    >;
    return { ...device, ports, threats, ip_history, names: this.namesOf(row), ...place, ...this.portScanOf(id) };
  }

  /** The device's names by source; its hostname too when it was learnt before names were kept (schema 22). */
  private namesOf(row: DeviceRow): DeviceName[] {
    const names = namesOf(this.db, row.id);
    if (row.hostname && row.hostname_source && !names.some((n) => n.name === row.hostname && n.source === row.hostname_source)) {
      names.push({ name: row.hostname, source: row.hostname_source, last_seen: row.last_seen });
    }
    return names;
  }

  /**
   * Whether a port scan has covered the device, and when the latest one did: a device with no open
   * ports after a normal scan is not one a quick scan merely found. A scan counts when it completed
   * and probed ports with the device among its hosts; retention may have removed older ones.
   */
  private portScanOf(id: number): { ports_known: boolean; ports_scanned_at: string | null } {
    const { known, at } = this.db
      .query(
        `SELECT (SELECT ports_known FROM devices WHERE id = ?1) AS known,
           (SELECT max(s.finished_at) FROM scan_devices sd JOIN scans s ON s.id = sd.scan_id
             WHERE sd.device_id = ?1 AND s.status = 'completed' AND s.ports_scanned > 0) AS at`,
      )
      .get(id) as { known: number; at: string | null };
    return { ports_known: known === 1 || at !== null, ports_scanned_at: at };
  }

  /** The device's open ports with their services, or null when there is no such device. */
  ports(id: number, paging: { limit: number; offset: number }): { items: DevicePort[]; total: number } | null {
    if (!this.exists(id)) return null;
    const all = this.portsOf(id);
    return { items: all.slice(paging.offset, paging.offset + paging.limit), total: all.length };
  }

  /**
   * Applies the owner's fields and returns what actually changed (old → new), or null for an
   * unknown device. Trust is a stored flag, so every count of "at risk" follows it at once; the
   * device keeps its threats, level and score either way. Setting `is_trusted` either way settles a
   * pending trust: true confirms it, false declines it. The owner's type and icon are stored apart
   * from the automatic type (type_override, icon), so a change to them reads {old, new} with null
   * meaning "automatic".
   */
  update(id: number, patch: DevicePatch): { changed: Record<string, FieldChange> } | null {
    return this.db
      .transaction(() => {
        const current = this.db.query("SELECT label, zone, is_trusted, notes, presence_mode, trust_pending, type_override, icon, notify_on FROM devices WHERE id = ?").get(id) as {
          label: string | null;
          zone: string | null;
          is_trusted: number;
          notes: string | null;
          presence_mode: PresenceMode;
          trust_pending: number;
          type_override: string | null;
          icon: string | null;
          notify_on: string | null;
        } | null;
        if (!current) return null;
        const notifyOn = parseNotifyOn(current.notify_on);
        const before = {
          label: current.label,
          zone: current.zone,
          is_trusted: current.is_trusted === 1,
          notes: current.notes,
          presence_mode: current.presence_mode,
          device_type: current.type_override,
          icon: current.icon,
        };
        const next = { ...before, notify_on: notifyOn };
        if (patch.label !== undefined) next.label = emptyToNull(patch.label?.trim());
        if (patch.zone !== undefined) next.zone = emptyToNull(patch.zone?.trim());
        if (patch.is_trusted !== undefined) next.is_trusted = patch.is_trusted;
        if (patch.presence_mode !== undefined) next.presence_mode = patch.presence_mode;
        // Notes keep their layout; only an all-blank note counts as clearing it.
        if (patch.notes !== undefined) next.notes = patch.notes === null || patch.notes.trim() === "" ? null : patch.notes;
        // The owner's type and icon; null hands them back to the automatic guess.
        if (patch.device_type !== undefined) next.device_type = patch.device_type;
        if (patch.icon !== undefined) next.icon = patch.icon;
        // Kept in the one order of NOTIFY_ON_EVENTS, so that the same choice reads (and compares) the same.
        if (patch.notify_on !== undefined) next.notify_on = NOTIFY_ON_EVENTS.filter((e) => patch.notify_on!.includes(e));
        const pending = current.trust_pending === 1;
        const changed: Record<string, FieldChange> = {};
        for (const key of Object.keys(before) as (keyof typeof before)[]) {
          if (before[key] !== next[key]) changed[key] = { old: before[key], new: next[key] };
        }
        if (pending && patch.is_trusted !== undefined) changed.trust = { old: "pending", new: next.is_trusted ? "trusted" : "untrusted" };
        if (next.notify_on.join() !== notifyOn.join()) changed.notify_on = { old: notifyOn, new: next.notify_on };
        if (Object.keys(changed).length > 0) {
          this.db
            .query(
              `UPDATE devices SET label = ?, zone = ?, is_trusted = ?, notes = ?, presence_mode = ?, trust_pending = CASE WHEN ? THEN 0 ELSE trust_pending END,
                 type_override = ?, icon = ?, notify_on = ? WHERE id = ?`,
            )
            .run(next.label, next.zone, next.is_trusted ? 1 : 0, next.notes, next.presence_mode, patch.is_trusted !== undefined ? 1 : 0, next.device_type, next.icon, storedNotifyOnOf(next.notify_on), id);
        }
        return { changed };
      })
      .immediate();
  }

  /**
   * One action on several devices, in one transaction: trust them (the owner's approval), put them
   * in a zone (null clears it), or forget them. Ids of no device are skipped, not an error: a list
   * the owner selected may hold a device another tab just forgot. Returns what changed per device
   * (for the audit trail; forget: the forgotten identity) and the skipped ids.
   */
  bulk(
    ids: number[],
    action: BulkActionName,
    zone: string | null = null,
  ): { done: { id: number; ip_address: string; mac_address: string | null; changed: Record<string, FieldChange> }[]; skipped: number[] } {
    return this.db
      .transaction(() => {
        const done: { id: number; ip_address: string; mac_address: string | null; changed: Record<string, FieldChange> }[] = [];
        const skipped: number[] = [];
        for (const id of new Set(ids)) {
          const who = this.identity(id);
          if (!who) {
            skipped.push(id);
            continue;
          }
          if (action === "forget") {
            this.remove(id);
            done.push({ id, ...who, changed: {} });
            continue;
          }
          const result = this.update(id, action === "trust" ? { is_trusted: true } : { zone });
          done.push({ id, ...who, changed: result?.changed ?? {} });
        }
        return { done, skipped };
      })
      .immediate();
  }

  /** Forgets a device: its addresses, ports, threats and sightings go with it; past changes keep their IP/MAC. */
  remove(id: number): boolean {
    return this.db.query("DELETE FROM devices WHERE id = ?").run(id).changes > 0;
  }

  /** Identity for audit entries. */
  identity(id: number): { ip_address: string; mac_address: string | null } | null {
    return this.db.query("SELECT ip_address, mac_address FROM devices WHERE id = ?").get(id) as { ip_address: string; mac_address: string | null } | null;
  }

  /** The zones in use, sorted case-insensitively. */
  zones(): string[] {
    return (this.db.query("SELECT DISTINCT zone FROM devices WHERE zone IS NOT NULL ORDER BY zone COLLATE NOCASE, zone").all() as { zone: string }[]).map((r) => r.zone);
  }

  private exists(id: number): boolean {
    return this.db.query("SELECT 1 FROM devices WHERE id = ?").get(id) !== null;
  }

  private portsOf(id: number): DevicePort[] {
    return (
      this.db
        .query("SELECT port, protocol, service, product, version, tls, banner, first_seen, last_seen FROM ports WHERE device_id = ? ORDER BY port, protocol")
        .all(id) as (Omit<DevicePort, "tls"> & { tls: number })[]
    ).map((p) => ({ ...p, tls: p.tls === 1 }));
  }

  /** The records of these devices as the list shows them (for the event feed); forgotten ones are absent. */
  records(ids: number[]): Map<number, Device> {
    const rows = this.db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as DeviceRow[];
    return new Map(this.withOpenPorts(rows).map((d) => [d.id, d]));
  }

  /** One query each for the open ports, the MACs and the addresses of a whole page of devices. */
  private withOpenPorts(rows: DeviceRow[]): Device[] {
    if (rows.length === 0) return [];
    const byDevice = new Map<number, number[]>();
    const portRows = this.db
      .query("SELECT device_id, port FROM ports WHERE device_id IN (SELECT value FROM json_each(?)) ORDER BY device_id, port")
      .all(JSON.stringify(rows.map((r) => r.id))) as { device_id: number; port: number }[];
    for (const { device_id, port } of portRows) {
      const list = byDevice.get(device_id);
      if (!list) byDevice.set(device_id, [port]);
      else if (list[list.length - 1] !== port) list.push(port); // tcp and udp on one number count once
    }
    const ids = rows.map((r) => r.id);
    const macs = macsOf(this.db, ids);
    const addresses = addressesOf(this.db, ids);
    return rows.map((r) => toDevice(r, byDevice.get(r.id) ?? [], macs.get(r.id) ?? [], addresses.get(r.id) ?? []));
  }
}

function toDevice({ trust_pending, notify_on, ...row }: DeviceRow, openPorts: number[], macs: Device["macs"], addresses: Device["addresses"]): Device {
  // Held to the schema: one row with a value no version should have written must not fail the whole answer.
  return sanitizeDevice({
    ...row,
    addresses,
    macs,
    notify_on: parseNotifyOn(notify_on),
    mac_randomized: row.mac_randomized === 1,
    mdns_services: row.mdns_services ? parseIdList(row.mdns_services) : [],
    is_trusted: row.is_trusted === 1,
    trust: row.is_trusted === 1 ? "trusted" : trust_pending === 1 ? "pending" : "untrusted",
    threat_summary: summaryForTrust(row.threat_summary, row.is_trusted === 1),
    open_ports: openPorts,
  });
}

/** The stored `notify_on` (a JSON list, NULL for none) as the known events, in their one order. */
export function parseNotifyOn(stored: string | null): NotifyOnEvent[] {
  if (!stored) return [];
  const listed = parseIdList(stored);
  return NOTIFY_ON_EVENTS.filter((e) => listed.includes(e));
}

const storedNotifyOnOf = (events: NotifyOnEvent[]): string | null => (events.length > 0 ? JSON.stringify(events) : null);

function emptyToNull(s: string | null | undefined): string | null {
  return s === undefined || s === null || s === "" ? null : s;
}

function parseIdList(json: string): string[] {
  try {
    const parsed = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

