// Role hub: a sensor's message becomes the hub's inventory (SPEC §7 "Segments"). Plain functions
// over the database; hub.ts feeds them what the broker delivers and publishes after the commit.
//
// - Each sensor's messages are applied once, in order: segment_sensors keeps the last sequence number
//   applied per (site, segment), in the same transaction as the message's changes, so a redelivery
//   (a PUBACK lost, a replay after a restart) is recognised and skipped. A number skipped over is a
//   message lost (dropped from a full outbox): counted. Numbers are per instance (sensor database);
//   the last number of each earlier instance is kept too (segment_state), so a made-up instance id
//   cannot reopen old numbers.
// - Devices are one per MAC, across segments: a sensor's record upserts the device with that MAC
//   and sets its segment. Heard online on another segment than its own, newer than what the hub has,
//   while its own segment has stopped reporting it, it moved: a `device_moved` change, and the new
//   segment's `device_added` for it is not repeated. While its segment still reports it, the claim is
//   an `identity_conflict`, not applied: one sensor's credentials cannot take over another's devices.
//   What its old segment says about it after a move (it went offline there) is not applied.
// - A sensor's change records are copied (with the segment and the hub's device id), so that
//   notifications, Home Assistant and metrics on the hub see what they would on the sensor.
// - A sensor's finished scans join the hub's scan history (scan-mirror.ts), once each; a device the
//   owner forgot on the sensor is forgotten here while it is still that segment's (forget.ts).
// - Everything from the wire is cleaned first (sanitize.ts): names, times no later than the hub's.
import type { Database } from "bun:sqlite";
import { InventoryWriter } from "../inventory/identity.ts";
import { deviceOfMac, touchMac } from "../inventory/macs.ts";
import { recordName } from "../inventory/names.ts";
import { recordIp6Sightings, type Ip6Sighting, type Ip6Source } from "../inventory/sightings.ts";
import { formatIp6, ip6Scope, parseIp6 } from "../net/ip6.ts";
import { stripInvisible } from "../net/wire-text.ts";
import { log } from "../log.ts";
import type { Change } from "../inventory/observation.ts";
import { markGone, markSeen } from "../inventory/presence.ts";
import { replacePorts, replaceThreats } from "../inventory/port-rows.ts";
import { cleanChange, cleanDevice } from "./sanitize.ts";
import { forgetDevices } from "./forget.ts";
import { storeScans } from "./scan-mirror.ts";
import type { BatchMessage, DroppedMessage, HeartbeatMessage, WireChange, WireDevice } from "./protocol.ts";

export type SensorKey = { site: string; segment: string };

export type ApplyResult = {
  /** False for a message applied before (a redelivery). */
  applied: boolean;
  /** Messages lost before this one (sequence numbers skipped). */
  missed: number;
  changes: Change[];
  touched: number[];
  /** The hub's ids of the devices the message had forgotten (absent when none). */
  forgotten?: number[];
};

/**
 * New devices a sensor may add per window (as a source's run and the passive listener are bounded):
 * past it they are dropped, with one `sighting_flood` warning per window. A dropped device comes back
 * with the sensor's next record of it once the window has passed.
 */
export const NEW_DEVICES_PER_WINDOW = 1_000;
export const NEW_DEVICES_WINDOW_MS = 10 * 60_000;
export type NewDeviceBudget = { left: number; warned: boolean };
export const newDeviceBudget = (): NewDeviceBudget => ({ left: NEW_DEVICES_PER_WINDOW, warned: false });

/**
 * A device another segment's sensor still reports (online, heard this recently) stays there: a
 * sensor elsewhere claiming its MAC is a conflict, not a move. Past this silence it may move.
 */
export const MOVE_AFTER_SILENCE_MS = 5 * 60_000;
/** One conflict warning per device and claiming segment per this long. */
const CONFLICT_REPEAT_MS = 60 * 60_000;
/** Earlier instances (sensor databases) remembered per sensor, with their last number. */
const INSTANCES_KEPT = 1_000;

type SensorRow = { instance: string; last_seq: number; offline_reported: number };

const secondsBetween = (from: string, to: string) => {
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(s) ? Math.max(0, s) : null;
};

/**
 * The sensor was heard (any message): last heard, lag, and for a heartbeat its buffered count.
 * Returns true when it had been reported offline. Must run inside the caller's transaction. The
 * instance and numbering change only with a numbered message (admit): a heartbeat proves nothing.
 */
export function heard(db: Database, key: SensorKey, m: BatchMessage | DroppedMessage | HeartbeatMessage, receivedAt: string): boolean {
  const row = db.query("SELECT instance, last_seq, offline_reported FROM segment_sensors WHERE site = ? AND segment = ?").get(key.site, key.segment) as SensorRow | null;
  const lag = secondsBetween(m.kind === "heartbeat" ? m.sent_at : m.at, receivedAt);
  if (!row) {
    db.query(
      "INSERT INTO segment_sensors (site, segment, instance, last_seq, last_heard_at, lag_seconds, buffered) VALUES (?, ?, ?, 0, ?, ?, ?)",
    ).run(key.site, key.segment, m.instance, receivedAt, lag, m.kind === "heartbeat" ? m.buffered : 0);
    return false;
  }
  db.query(
    `UPDATE segment_sensors SET last_heard_at = ?3, lag_seconds = ?4, buffered = coalesce(?5, buffered), offline_reported = 0 WHERE site = ?1 AND segment = ?2`,
  ).run(key.site, key.segment, receivedAt, lag, m.kind === "heartbeat" ? m.buffered : null);
  return row.offline_reported === 1;
}

/**
 * Another site whose sensor already reports this segment name, or null. The hub's devices, scans and
 * forgets are keyed by segment name: a second site's sensor with the same name would speak for the
 * first's devices, so its messages are refused (the README asks for names unique across sites).
 */
export function siteOwningSegment(db: Database, key: SensorKey): string | null {
  const row = db.query("SELECT site FROM segment_sensors WHERE segment = ? AND site <> ? LIMIT 1").get(key.segment, key.site) as { site: string } | null;
  return row?.site ?? null;
}

const instanceKey = (key: SensorKey, instance: string) => `hub-instance/${key.site}/${key.segment}/${instance}`;

/**
 * Whether a numbered message is new: its number beyond the last one its instance (sensor database)
 * had applied. Every instance a sensor had keeps its last number (segment_state), so a message of an
 * earlier instance, or a switch to a made-up one and back, cannot replay old numbers. An instance the
 * hub never heard of is a new sensor database: its numbering starts afresh (logged). Nothing is
 * written but the sensor's last heard; `commitSeq` records the number. Inside the caller's transaction.
 */
export function admit(db: Database, key: SensorKey, m: BatchMessage | DroppedMessage, receivedAt: string): { fresh: boolean; missed: number } {
  heard(db, key, m, receivedAt);
  const row = db.query("SELECT instance, last_seq FROM segment_sensors WHERE site = ? AND segment = ?").get(key.site, key.segment) as SensorRow;
  const last = row.instance === m.instance ? row.last_seq : earlierSeq(db, key, m.instance);
  if (m.seq <= (last ?? 0)) return { fresh: false, missed: 0 };
  if (last === null) log.warn("segment sensor has a new instance (its database was replaced): numbering starts afresh", { ...key, from: row.instance, to: m.instance, seq: m.seq });
  // The first message of an instance has no predecessor the hub knew of: nothing counts as missed.
  return { fresh: true, missed: !last ? 0 : m.seq - last - 1 };
}

function earlierSeq(db: Database, key: SensorKey, instance: string): number | null {
  const row = db.query("SELECT value FROM segment_state WHERE key = ?").get(instanceKey(key, instance)) as { value: string } | null;
  return row ? (JSON.parse(row.value) as { seq: number }).seq : null;
}

/** Records the message's number as applied (with what it says was missed); switches instance if it is another's. */
export function commitSeq(db: Database, key: SensorKey, m: BatchMessage | DroppedMessage, missed: number, receivedAt: string): void {
  const row = db.query("SELECT instance, last_seq FROM segment_sensors WHERE site = ? AND segment = ?").get(key.site, key.segment) as SensorRow;
  if (row.instance !== m.instance) {
    const put = db.query("INSERT INTO segment_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    put.run(instanceKey(key, row.instance), JSON.stringify({ seq: row.last_seq, at: receivedAt }));
    db.query("DELETE FROM segment_state WHERE key = ?").run(instanceKey(key, m.instance));
    const prefix = instanceKey(key, "");
    db.query(
      `DELETE FROM segment_state WHERE key IN (SELECT key FROM segment_state WHERE substr(key, 1, length(?1)) = ?1
         ORDER BY json_extract(value, '$.at') DESC LIMIT -1 OFFSET ?2)`,
    ).run(prefix, INSTANCES_KEPT);
  }
  db.query("UPDATE segment_sensors SET instance = ?, last_seq = ?, dropped = dropped + ? WHERE site = ? AND segment = ?").run(m.instance, m.seq, missed, key.site, key.segment);
}

/**
 * What applying one message's slices carries from one to the next, and what its device records did
 * for its later steps: `moved` and `claimed` (MACs whose
 * device it took from another segment, or from none: the hub's own) are never forgotten by the same
 * message, so a sensor cannot delete a device it did not have by claiming and forgetting it at once.
 */
export type MessageState = { moved: Set<string>; refused: Set<string>; claimed: Set<string> };

export const messageState = (): MessageState => ({ moved: new Set(), refused: new Set(), claimed: new Set() });

/**
 * Applies one numbered message (batch or dropped) once, whole. Must run inside the caller's
 * transaction. (The hub applies a large one in slices: applyDevices, then finishMessage.)
 */
export function applyMessage(db: Database, key: SensorKey, m: BatchMessage | DroppedMessage, receivedAt: string, budget: NewDeviceBudget = newDeviceBudget()): ApplyResult {
  if (siteOwningSegment(db, key) !== null) return { applied: false, missed: 0, changes: [], touched: [] };
  const { fresh, missed } = admit(db, key, m, receivedAt);
  if (!fresh) return { applied: false, missed: 0, changes: [], touched: [] };
  const state = messageState();
  const first = m.kind === "batch" ? applyDevices(db, key, m.devices, receivedAt, budget, state) : { changes: [], touched: [] };
  const rest = finishMessage(db, key, m, missed, receivedAt, state);
  return { ...rest, applied: true, missed, changes: [...first.changes, ...rest.changes], touched: [...first.touched, ...rest.touched] };
}

/**
 * The message's changes, and its number recorded: the last step of a message, in one transaction, so
 * that its history is stored exactly once (its device records, upserts, may have been applied before
 * in slices of their own, and again after a crash: the same state twice).
 */
export function finishMessage(db: Database, key: SensorKey, m: BatchMessage | DroppedMessage, missed: number, receivedAt: string, state: MessageState): ApplyResult {
  // Applied meanwhile (the same message delivered again while its slices were applied): not twice.
  const row = db.query("SELECT instance, last_seq FROM segment_sensors WHERE site = ? AND segment = ?").get(key.site, key.segment) as SensorRow;
  if (row.instance === m.instance && m.seq <= row.last_seq) return { applied: false, missed: 0, changes: [], touched: [] };
  commitSeq(db, key, m, missed, receivedAt);
  if (m.kind === "dropped") return { applied: true, missed, changes: [], touched: [] };
  const changes = copyChanges(db, key.segment, m.changes.map((c) => cleanChange(c, receivedAt)), state);
  // History and forgets once, with the message's number: a scan record is stored once more by its own
  // key too (the sensor's instance and scan id), whatever message carries it.
  if (m.scans?.length) storeScans(db, key.segment, m.instance, m.scans, receivedAt);
  const forgotten = m.forgotten?.length ? forgetDevices(db, key.segment, m.forgotten.filter((mac) => !state.moved.has(mac) && !state.claimed.has(mac))) : [];
  return { applied: true, missed, changes, touched: [], ...(forgotten.length > 0 && { forgotten }) };
}

/** Upserts a slice of the message's device records. Inside the caller's transaction. */
export function applyDevices(db: Database, key: SensorKey, devices: WireDevice[], receivedAt: string, budget: NewDeviceBudget, state: MessageState): { changes: Change[]; touched: number[] } {
  const w = new InventoryWriter(db, null, receivedAt);
  w.segment = key.segment;
  mergeDevices(db, w, key, devices.map((d) => cleanDevice(d, receivedAt)), receivedAt, budget, state);
  return { changes: w.changes, touched: [...w.touched] };
}

type Known = { id: number; segment: string | null; status: string; last_seen: string; hostname: string | null; label: string | null; is_trusted: number };

/**
 * Upserts each record by MAC. A device another segment has is moved here only when heard here later
 * than there and silent there (offline, or not heard for MOVE_AFTER_SILENCE_MS); while its segment
 * still reports it, the claim is an `identity_conflict` and nothing of the record is applied.
 */
function mergeDevices(db: Database, w: InventoryWriter, key: SensorKey, devices: WireDevice[], now: string, budget: NewDeviceBudget, state: MessageState): void {
  const segment = key.segment;
  for (const d of devices) {
    const id = deviceByMac(db, d.mac);
    if (id === null) {
      if (budget.left <= 0) {
        state.refused.add(d.mac);
        if (!budget.warned) {
          budget.warned = true;
          w.change(
            { id: null, ip: null, mac: null },
            "sighting_flood",
            "warning",
            `Sensor ${key.site}/${segment} reported more than ${NEW_DEVICES_PER_WINDOW} new devices in ${NEW_DEVICES_WINDOW_MS / 60_000} minutes: the rest are left out until the window has passed`,
            null,
            segment,
          );
        }
        continue;
      }
      budget.left--;
      const newId = w.add({ mac: d.mac, ip: d.ip, mac_randomized: d.mac_randomized, hostname: d.hostname, hostname_source: d.hostname_source, vendor: d.vendor, device_type: d.device_type, os_name: d.os_name }, null, false);
      writeRecord(db, w, newId, d, segment, true);
      continue;
    }
    const known = db.query("SELECT id, segment, status, last_seen, hostname, label, is_trusted FROM devices WHERE id = ?").get(id) as Known;
    if (known.segment !== null && known.segment !== segment) {
      // Its old segment's news (gone offline there, or an older sighting) says nothing about where it is now.
      const knownLast = min(known.last_seen, now);
      if (d.status !== "online" || d.last_seen <= knownLast) continue;
      const name = known.label ?? known.hostname ?? d.mac;
      if (known.status === "online" && Date.parse(now) - Date.parse(knownLast) < MOVE_AFTER_SILENCE_MS) {
        conflict(db, w, known, d, segment, name, now);
        continue;
      }
      const severity = known.is_trusted ? "warning" : "info";
      w.change({ id, ip: d.ip, mac: d.mac }, "device_moved", severity, `Device ${name} moved from segment ${known.segment} to ${segment} (now at ${d.ip})`, known.segment, segment);
      state.moved.add(d.mac);
    } else if (known.segment === null) state.claimed.add(d.mac);
    writeRecord(db, w, id, d, segment);
  }
}

/** A sensor claims a device its segment still reports: warned (once an hour per claiming segment), not applied. */
function conflict(db: Database, w: InventoryWriter, known: Known, d: WireDevice, segment: string, name: string, now: string): void {
  const since = new Date(Date.parse(now) - CONFLICT_REPEAT_MS).toISOString();
  const told = db
    .query("SELECT 1 FROM changes WHERE device_id = ? AND change_type = 'identity_conflict' AND new_value = ? AND detected_at > ? LIMIT 1")
    .get(known.id, segment, since);
  if (told) return;
  w.change(
    { id: known.id, ip: d.ip, mac: d.mac },
    "identity_conflict",
    "warning",
    `Segment ${segment} reports device ${name} (${d.mac}) online at ${d.ip} while segment ${known.segment} still sees it: not moved (a copied MAC, or a sensor speaking for a device it does not have)`,
    known.segment,
    segment,
  );
}

/** The hub's device with this MAC (primary or one of its several). */
function deviceByMac(db: Database, mac: string): number | null {
  return deviceOfMac(db, mac) ?? (db.query("SELECT id FROM devices WHERE mac_address = ?").get(mac) as { id: number } | null)?.id ?? null;
}

/** The sensor's view of a device, on the hub's record of it; presence follows its status. */
function writeRecord(db: Database, w: InventoryWriter, id: number, d: WireDevice, segment: string, fresh = false): void {
  const before = db.query("SELECT status FROM devices WHERE id = ?").get(id) as { status: string };
  db.query(
    `UPDATE devices SET ip_address = ?2, mac_address = coalesce(mac_address, ?3), hostname = coalesce(?4, hostname), hostname_source = CASE WHEN ?4 IS NULL THEN hostname_source ELSE ?5 END,
       vendor = coalesce(?6, vendor), device_type = CASE WHEN ?7 IS NULL OR ?7 = 'unknown' THEN device_type ELSE ?7 END, os_name = coalesce(?8, os_name), model = coalesce(?9, model),
       status = ?10, first_seen = min(first_seen, ?11), last_seen = CASE WHEN ?17 THEN ?12 ELSE max(last_seen, ?12) END, risk_level = ?13, risk_score = ?14, threat_summary = ?15, segment = ?16
     WHERE id = ?1`,
  ).run(id, d.ip, d.mac, d.hostname, d.hostname_source, d.vendor, d.device_type, d.os_name, d.model, d.status, d.first_seen, d.last_seen, d.risk_level ?? "none", d.risk_score, d.threat_summary, segment, fresh ? 1 : 0);
  touchMac(db, id, d.mac, d.mac_randomized, d.last_seen);
  w.recordAddress(id, d.ip, d.mac);
  recordDetail(db, d);
  if (d.status === "online") markSeen(db, id, d.last_seen, "passive");
  else if (before.status === "online") markGone(db, id, d.last_seen);
  // Only a device of this segment gets here (a claim on another's is a conflict, not written): its
  // ports and findings are this sensor's to replace.
  if (d.ports) replacePorts(db, id, d.ports, d.last_seen);
  else syncPorts(db, id, d.open_ports, d.last_seen);
  if (d.threats) replaceThreats(db, id, d.threats);
  if (d.mdns_services) db.query("UPDATE devices SET mdns_services = ? WHERE id = ?").run(d.mdns_services.length ? JSON.stringify(d.mdns_services) : null, id);
  if (d.device_type_evidence !== undefined && d.device_type && d.device_type !== "unknown") {
    db.query("UPDATE devices SET device_type_evidence = ? WHERE id = ?").run(d.device_type_evidence, id);
  }
  w.touched.add(id);
}

/**
 * The device's IPv6 addresses and names as the sensor knows them (absent from an older sensor's
 * record), through the helpers the hub's own passive path and sources use: the same bounds, the same
 * rows. Untrusted like any LAN text: an address must parse and be a host address (the hub writes it
 * in RFC 5952 text and works out its scope), a name loses invisible characters. An address heard
 * from one of the device's other MACs, which the hub does not know, is kept under the record's MAC.
 */
function recordDetail(db: Database, d: WireDevice): void {
  const sightings: Ip6Sighting[] = [];
  for (const a of d.addresses ?? []) {
    const bytes = parseIp6(a.address);
    if (!bytes || a.address.includes("%")) continue;
    const address = formatIp6(bytes);
    const scope = ip6Scope(address);
    if (!scope) continue;
    const mac = a.mac !== null && deviceByMac(db, a.mac) === deviceByMac(db, d.mac) ? a.mac : d.mac;
    sightings.push({ mac, address, scope, source: a.source as Ip6Source, first_seen: min(a.first_seen, a.last_seen), last_seen: a.last_seen });
  }
  // Oldest first, so that the per-device bound keeps the newest.
  sightings.sort((x, y) => (x.last_seen! < y.last_seen! ? -1 : x.last_seen! > y.last_seen! ? 1 : 0));
  recordIp6Sightings(db, sightings, d.last_seen);
  const id = deviceByMac(db, d.mac);
  if (id === null) return;
  for (const n of d.names ?? []) {
    const name = stripInvisible(n.name).trim();
    if (name !== "") recordName(db, id, name, n.source, n.last_seen);
  }
}

const min = (a: string, b: string) => (a < b ? a : b);

/** The open port numbers an older sensor lists, without their services. */
function syncPorts(db: Database, id: number, ports: number[], at: string): void {
  db.query("DELETE FROM ports WHERE device_id = ? AND protocol = 'tcp' AND port NOT IN (SELECT value FROM json_each(?))").run(id, JSON.stringify(ports));
  const add = db.query("INSERT INTO ports (device_id, port, protocol, first_seen, last_seen) VALUES (?, ?, 'tcp', ?, ?) ON CONFLICT DO UPDATE SET last_seen = excluded.last_seen");
  for (const p of ports) add.run(id, p, at, at);
}

/**
 * Stores the sensor's changes on the hub's devices; skips the `device_added` of a device that moved,
 * the news of a device another segment has, and the changes of devices left out (over the budget).
 */
function copyChanges(db: Database, segment: string, changes: WireChange[], state: MessageState): Change[] {
  const out: Change[] = [];
  const insert = db.query(
    `INSERT INTO changes (scan_id, device_id, device_ip, device_mac, change_type, severity, old_value, new_value, description, detected_at, segment)
     VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const c of changes) {
    const id = c.device_mac ? deviceByMac(db, c.device_mac) : null;
    if (c.device_mac && state.moved.has(c.device_mac) && c.change_type === "device_added") continue;
    if (c.device_mac && id === null && state.refused.has(c.device_mac)) continue;
    if (id !== null) {
      const at = (db.query("SELECT segment FROM devices WHERE id = ?").get(id) as { segment: string | null }).segment;
      if (at !== null && at !== segment) continue;
    }
    const res = insert.run(id, c.device_ip, c.device_mac, c.change_type, c.severity, c.old_value, c.new_value, c.description, c.detected_at, segment);
    out.push({ ...c, id: Number(res.lastInsertRowid), scan_id: null, device_id: id, segment, acknowledged: false });
  }
  return out;
}

export type SensorRecord = {
  site: string;
  segment: string;
  last_heard_at: string;
  lag_seconds: number | null;
  buffered: number;
  dropped: number;
  status: "online" | "offline";
};

/** Every sensor the hub has heard, online when heard within `offlineAfterS`. */
export function listSensors(db: Database, now: number, offlineAfterS: number): SensorRecord[] {
  const rows = db.query("SELECT site, segment, last_heard_at, lag_seconds, buffered, dropped FROM segment_sensors ORDER BY site, segment").all() as Omit<SensorRecord, "status">[];
  return rows.map((r) => ({ ...r, status: now - Date.parse(r.last_heard_at) > offlineAfterS * 1000 ? "offline" : "online" }));
}

/**
 * Sensors silent for longer than `offlineAfterS` and not reported yet: a `sensor_offline` warning
 * each, once until heard again. Must run inside the caller's transaction.
 */
export function reportSilentSensors(db: Database, now: number, offlineAfterS: number): Change[] {
  const cutoff = new Date(now - offlineAfterS * 1000).toISOString();
  const silent = db.query("SELECT site, segment, last_heard_at FROM segment_sensors WHERE offline_reported = 0 AND last_heard_at < ?").all(cutoff) as {
    site: string;
    segment: string;
    last_heard_at: string;
  }[];
  const w = new InventoryWriter(db, null, new Date(now).toISOString());
  for (const s of silent) {
    db.query("UPDATE segment_sensors SET offline_reported = 1 WHERE site = ? AND segment = ?").run(s.site, s.segment);
    w.segment = s.segment;
    w.change(
      { id: null, ip: null, mac: null },
      "sensor_offline",
      "warning",
      `Sensor ${s.site}/${s.segment} has not been heard since ${s.last_heard_at}: its segment is not watched until it reports again (what it buffers meanwhile arrives then)`,
      s.last_heard_at,
      `${s.site}/${s.segment}`,
    );
  }
  return w.changes;
}
