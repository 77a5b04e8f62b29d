// The delivery queue in SQLite (schema v11). `enqueueChanges` runs inside the caller's transaction —
// the one that commits a scan's changes, or a passive sighting's — so a crash loses no alert and a
// rolled-back change is never announced. The worker (worker.ts) sends what is due; this module also
// answers GET /api/notifications and the metrics' delivery counts.
import type { Database } from "bun:sqlite";
import { fetchPage, Where } from "../db/paging.ts";
import { NOTIFIED_DEVICE_FIELDS, type Notification, type NotificationStatus, type NotifiedDevice } from "./schema.ts";
import type { Change, Severity } from "../inventory/observation.ts";
import { toIso } from "../time.ts";
import type { NotificationsConfig } from "./config.ts";
import { releaseTime, routeChange, worstOf, type DeviceFacts } from "./rules.ts";
import { shownError } from "./destination.ts";
import { parseNotifyOn } from "../inventory/devices.ts";

/** The device as a message carries it (schema.ts: a Pick of the one device schema). */
export type DeviceRecord = NotifiedDevice;

export type ChangeRecord = Required<Omit<Change, "acknowledged">> & { acknowledged: boolean };

export type ScanRef = { id: number; profile: string; subnet: string };

/** What a queue row sends; channels render it (webhook: as is; others: a title and a text). */
export type Payload =
  | { event: "change"; change: ChangeRecord; device: DeviceRecord | null }
  | { event: "digest"; scan: ScanRef | null; changes: { change: ChangeRecord; device: DeviceRecord | null }[]; baseline?: true }
  | { event: "test"; message: string; sent_at: string };

export { NOTIFICATION_KINDS, NOTIFICATION_STATUSES, type NotificationStatus } from "./schema.ts";

/** A delivery as GET /api/notifications answers it (schema.ts). */
export type Delivery = Notification;

// Every field but open_ports is a column of the device's row; notify_on is read along for the rules
// (a message does not carry it).
const DEVICE_SQL = `SELECT ${NOTIFIED_DEVICE_FIELDS.filter((f) => f !== "open_ports").join(", ")}, notify_on FROM devices WHERE id = ?`;

type DeviceRow = Omit<DeviceRecord, "mac_randomized" | "is_trusted" | "open_ports"> & { mac_randomized: number; is_trusted: number; notify_on: string | null };

/** The device as a message carries it, and what the rules read of it; both null once it is forgotten. */
function loadDevice(db: Database, id: number | null): { record: DeviceRecord | null; facts: DeviceFacts } {
  if (id === null) return { record: null, facts: null };
  const row = db.query(DEVICE_SQL).get(id) as DeviceRow | null;
  if (!row) return { record: null, facts: null };
  const { notify_on, ...columns } = row;
  const ports = (db.query("SELECT port FROM ports WHERE device_id = ? ORDER BY port").all(id) as { port: number }[]).map((p) => p.port);
  const record: DeviceRecord = { ...columns, mac_randomized: row.mac_randomized === 1, is_trusted: row.is_trusted === 1, open_ports: ports };
  return { record, facts: { id: record.id, is_trusted: record.is_trusted, zone: record.zone, mac_address: record.mac_address, ip_address: record.ip_address, notify_on: parseNotifyOn(notify_on) } };
}

export function deviceRecord(db: Database, id: number | null): DeviceRecord | null {
  return loadDevice(db, id).record;
}

function changeRecord(c: Change): ChangeRecord {
  if (c.id === undefined) throw new Error("a change must be inserted before it is queued");
  return { ...c, id: c.id, acknowledged: c.acknowledged ?? false } as ChangeRecord;
}

/**
 * Queues the messages these changes call for under `cfg`'s rules; call it inside the transaction that
 * inserts the changes. `scan` is null for passive sightings (a digest then falls back to one message per
 * change: there is no scan to wait for). Returns the number of rows queued.
 */
export function enqueueChanges(db: Database, changes: Change[], cfg: NotificationsConfig, scan: ScanRef | null, now: number = Date.now(), holdMs = 0, baseline = false): number {
  // Without rules only a device's own alerts (notify_on) can ask for a message.
  if (changes.length === 0 || cfg.channels.length === 0) return 0;
  const insert = db.query(
    "INSERT INTO notifications (channel, kind, change_id, scan_id, severity, payload, created_at, next_attempt_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const created = toIso(now);
  // Quiet hours may hold a message back; `holdMs` (the schedule's first delay, normally 0) always does.
  const due = (severity: Severity) => Math.max(releaseTime(severity, cfg.quiet_hours, now), now + holdMs);
  const devices = new Map<number, ReturnType<typeof loadDevice>>();
  const device = (id: number | null) => {
    if (id === null) return loadDevice(db, null);
    if (!devices.has(id)) devices.set(id, loadDevice(db, id));
    return devices.get(id)!;
  };
  const digests = new Map<string, { change: ChangeRecord; device: DeviceRecord | null }[]>();
  const baselines = new Map<string, { change: ChangeRecord; device: DeviceRecord | null }[]>();
  let queued = 0;
  for (const c of changes) {
    const { record: d, facts: f } = device(c.device_id);
    // The first scan's devices (the baseline) go where a new device's warning would, in one message.
    const quiet = baseline && scan !== null && c.change_type === "device_added";
    for (const route of routeChange(quiet ? { ...c, severity: "warning" } : c, f, cfg)) {
      const item = { change: changeRecord(c), device: d };
      if (quiet) {
        baselines.set(route.channel, [...(baselines.get(route.channel) ?? []), item]);
        continue;
      }
      if (route.digest && scan) {
        const list = digests.get(route.channel) ?? [];
        list.push(item);
        digests.set(route.channel, list);
        continue;
      }
      const payload: Payload = { event: "change", ...item };
      insert.run(route.channel, "change", item.change.id, c.scan_id, c.severity, JSON.stringify(payload), created, due(c.severity));
      queued++;
    }
  }
  for (const [channel, items] of digests) {
    const severity: Severity = worstOf(items.map((i) => i.change.severity));
    const payload: Payload = { event: "digest", scan, changes: items };
    insert.run(channel, "digest", null, scan!.id, severity, JSON.stringify(payload), created, due(severity));
    queued++;
  }
  for (const [channel, items] of baselines) {
    const payload: Payload = { event: "digest", scan, changes: items, baseline: true };
    insert.run(channel, "digest", null, scan!.id, "info", JSON.stringify(payload), created, due("info"));
    queued++;
  }
  return queued;
}

/** Most devices one flood digest lists; beyond, the next ones open another digest. */
export const FLOOD_DIGEST_MAX = 200;

/**
 * A sighting flood's changes (its devices' `device_added`), one digest message per channel instead of
 * one message each: appended to the channel's flood digest while it is still waiting to go (opened
 * with the first of them, due `dueAfterMs` later), and withdrawn from any individual message of theirs
 * still waiting (a newcomer held back in case a flood followed). Inside the caller's transaction.
 */
export function enqueueFloodDigest(db: Database, changes: Change[], cfg: NotificationsConfig, now: number, dueAfterMs: number): number {
  if (changes.length === 0) return 0;
  const ids = changes.map((c) => c.id).filter((id): id is number => id !== undefined);
  const withdraw = db.query("DELETE FROM notifications WHERE change_id = ? AND kind = 'change' AND status = 'pending' AND attempts = 0");
  for (const id of ids) withdraw.run(id);
  if (cfg.rules.length === 0) return 0;
  const open = db.query(
    "SELECT id, payload FROM notifications WHERE status = 'pending' AND channel = ? AND kind = 'digest' AND scan_id IS NULL AND attempts = 0 AND next_attempt_ms > ? ORDER BY id DESC LIMIT 1",
  );
  const insert = db.query("INSERT INTO notifications (channel, kind, severity, payload, created_at, next_attempt_ms) VALUES (?, 'digest', ?, ?, ?, ?)");
  const update = db.query("UPDATE notifications SET payload = ?, severity = ? WHERE id = ?");
  const byChannel = new Map<string, { change: ChangeRecord; device: DeviceRecord | null }[]>();
  for (const c of changes) {
    const { record: d, facts } = loadDevice(db, c.device_id);
    for (const route of routeChange(c, facts, cfg)) {
      const list = byChannel.get(route.channel) ?? [];
      list.push({ change: changeRecord(c), device: d });
      byChannel.set(route.channel, list);
    }
  }
  let queued = 0;
  for (const [channel, items] of byChannel) {
    let rest = items;
    while (rest.length > 0) {
      const row = open.get(channel, now) as { id: number; payload: string } | null;
      const payload = row ? (JSON.parse(row.payload) as Extract<Payload, { event: "digest" }>) : { event: "digest" as const, scan: null, changes: [] };
      const room = FLOOD_DIGEST_MAX - payload.changes.length;
      if (room <= 0 && row) {
        // Full: mark it as no longer open (due now) and start the next one.
        db.query("UPDATE notifications SET next_attempt_ms = ? WHERE id = ?").run(now, row.id);
        continue;
      }
      payload.changes.push(...rest.slice(0, room));
      rest = rest.slice(room);
      const severity = worstOf(payload.changes.map((i) => i.change.severity));
      if (row) update.run(JSON.stringify(payload), severity, row.id);
      else {
        insert.run(channel, severity, JSON.stringify(payload), toIso(now), Math.max(releaseTime(severity, cfg.quiet_hours, now), now + dueAfterMs));
        queued++;
      }
    }
  }
  return queued;
}

export function enqueueTest(db: Database, channel: string, now: number = Date.now()): number {
  const payload: Payload = { event: "test", message: "Test message from Argus: this channel works.", sent_at: toIso(now) };
  return Number(
    db
      .query("INSERT INTO notifications (channel, kind, severity, payload, created_at, next_attempt_ms) VALUES (?, 'test', 'info', ?, ?, ?)")
      .run(channel, JSON.stringify(payload), toIso(now), now).lastInsertRowid,
  );
}

type Row = Omit<Delivery, "next_attempt_at"> & { next_attempt_ms: number };

const COLUMNS = "id, channel, kind, change_id, scan_id, severity, status, attempts, error, created_at, sent_at, next_attempt_ms";

function toDelivery(r: Row): Delivery {
  const { next_attempt_ms, ...rest } = r;
  return { ...rest, error: shownError(r.error), next_attempt_at: r.status === "pending" ? toIso(next_attempt_ms) : null };
}

export type DeliveryFilter = { status?: NotificationStatus; channel?: string; change_id?: number; limit: number; offset: number };

/** Deliveries, newest first. */
export function listDeliveries(db: Database, f: DeliveryFilter): { items: Delivery[]; total: number } {
  const { clause, args } = new Where().eq("status", f.status).eq("channel", f.channel).eq("change_id", f.change_id);
  const { rows, total } = fetchPage<Row>(
    db,
    { count: `SELECT count(*) AS n FROM notifications ${clause}`, select: `SELECT ${COLUMNS} FROM notifications ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`, args },
    f,
  );
  return { items: rows.map(toDelivery), total };
}

export function getDelivery(db: Database, id: number): Delivery | null {
  const r = db.query(`SELECT ${COLUMNS} FROM notifications WHERE id = ?`).get(id) as Row | null;
  return r ? toDelivery(r) : null;
}

/** Finished deliveries per channel and result, for argus_notifications_total. */
export function deliveryCounts(db: Database): { channel: string; status: NotificationStatus; n: number }[] {
  return db.query("SELECT channel, status, count(*) AS n FROM notifications GROUP BY channel, status").all() as { channel: string; status: NotificationStatus; n: number }[];
}
