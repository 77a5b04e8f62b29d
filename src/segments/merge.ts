// Role hub: a sensor's message becomes the hub's inventory (SPEC §7 "Segments"). Plain functions
// over the database; hub.ts feeds them what the broker delivers and publishes after the commit.
//
// - Each sensor's messages are applied once, in order: segment_sensors keeps the last sequence number
//   applied per (site, segment), in the same transaction as the inventory write, so a redelivery (a
//   PUBACK lost, a replay after a restart) is recognised and skipped. A number skipped over is a
//   message lost (dropped from a full outbox): counted.
// - Devices are one per MAC, across segments: a sensor's record upserts the device with that MAC
//   and sets its segment. Heard online on another segment than its own (and newer than what the hub
//   has), it moved: a `device_moved` change, and the new segment's `device_added` for it is not
//   repeated. What its old segment says about it afterwards (it went offline there) is not applied.
// - A sensor's change records are copied (with the segment and the hub's device id), so that
//   notifications, Home Assistant and metrics on the hub see what they would on the sensor.
import type { Database } from "bun:sqlite";
import { InventoryWriter } from "../inventory/identity.ts";
import { deviceOfMac, touchMac } from "../inventory/macs.ts";
import { recordName } from "../inventory/names.ts";
import { recordIp6Sightings, type Ip6Sighting, type Ip6Source } from "../inventory/sightings.ts";
import { formatIp6, ip6Scope, parseIp6 } from "../net/ip6.ts";
import { stripInvisible } from "../net/wire-text.ts";
import type { Change } from "../inventory/observation.ts";
import { markGone, markSeen } from "../inventory/presence.ts";
import type { BatchMessage, DroppedMessage, HeartbeatMessage, WireChange, WireDevice } from "./protocol.ts";

export type SensorKey = { site: string; segment: string };

export type ApplyResult = {
  /** False for a message applied before (a redelivery). */
  applied: boolean;
  /** Messages lost before this one (sequence numbers skipped). */
  missed: number;
  changes: Change[];
  touched: number[];
};

type SensorRow = { instance: string; last_seq: number; offline_reported: number };

const secondsBetween = (from: string, to: string) => {
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(s) ? Math.max(0, s) : null;
};

/**
 * The sensor was heard (any message): last heard, lag, and for a heartbeat its buffered count. A new
 * instance (its database was replaced) starts its numbering again. Returns true when it had been
 * reported offline. Must run inside the caller's transaction.
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
    `UPDATE segment_sensors SET instance = ?3, last_seq = CASE WHEN instance = ?3 THEN last_seq ELSE 0 END, last_heard_at = ?4, lag_seconds = ?5,
       buffered = coalesce(?6, buffered), offline_reported = 0 WHERE site = ?1 AND segment = ?2`,
  ).run(key.site, key.segment, m.instance, receivedAt, lag, m.kind === "heartbeat" ? m.buffered : null);
  return row.offline_reported === 1;
}

/** Applies one numbered message (batch or dropped) once. Must run inside the caller's transaction. */
export function applyMessage(db: Database, key: SensorKey, m: BatchMessage | DroppedMessage, receivedAt: string): ApplyResult {
  heard(db, key, m, receivedAt);
  const { last_seq } = db.query("SELECT last_seq FROM segment_sensors WHERE site = ? AND segment = ?").get(key.site, key.segment) as { last_seq: number };
  if (m.seq <= last_seq) return { applied: false, missed: 0, changes: [], touched: [] };
  // The first message of an instance has no predecessor the hub knew of: nothing counts as missed.
  const missed = last_seq === 0 ? 0 : m.seq - last_seq - 1;
  db.query("UPDATE segment_sensors SET last_seq = ?, dropped = dropped + ? WHERE site = ? AND segment = ?").run(m.seq, missed, key.site, key.segment);
  if (m.kind === "dropped") return { applied: true, missed, changes: [], touched: [] };
  const w = new InventoryWriter(db, null, receivedAt);
  w.segment = key.segment;
  const moved = mergeDevices(db, w, key.segment, m.devices);
  const copied = copyChanges(db, key.segment, m.changes, moved);
  return { applied: true, missed, changes: [...w.changes, ...copied], touched: [...w.touched] };
}

type Known = { id: number; segment: string | null; last_seen: string; hostname: string | null; label: string | null };

/** Upserts each record by MAC; returns the MACs that moved here from another segment. */
function mergeDevices(db: Database, w: InventoryWriter, segment: string, devices: WireDevice[]): Set<string> {
  const moved = new Set<string>();
  for (const d of devices) {
    const id = deviceByMac(db, d.mac);
    if (id === null) {
      const newId = w.add({ mac: d.mac, ip: d.ip, mac_randomized: d.mac_randomized, hostname: d.hostname, hostname_source: d.hostname_source, vendor: d.vendor, device_type: d.device_type, os_name: d.os_name }, null, false);
      writeRecord(db, w, newId, d, segment, true);
      continue;
    }
    const known = db.query("SELECT id, segment, last_seen, hostname, label FROM devices WHERE id = ?").get(id) as Known;
    if (known.segment !== null && known.segment !== segment) {
      // Its old segment's news (gone offline there, or an older sighting) says nothing about where it is now.
      if (d.status !== "online" || d.last_seen <= known.last_seen) continue;
      const name = known.label ?? known.hostname ?? d.hostname ?? d.mac;
      w.change({ id, ip: d.ip, mac: d.mac }, "device_moved", "info", `Device ${name} moved from segment ${known.segment} to ${segment} (now at ${d.ip})`, known.segment, segment);
      moved.add(d.mac);
    }
    writeRecord(db, w, id, d, segment);
  }
  return moved;
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
  syncPorts(db, id, d.open_ports, d.last_seen);
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

/** The open port numbers the sensor lists (their services stay on the sensor). */
function syncPorts(db: Database, id: number, ports: number[], at: string): void {
  db.query("DELETE FROM ports WHERE device_id = ? AND protocol = 'tcp' AND port NOT IN (SELECT value FROM json_each(?))").run(id, JSON.stringify(ports));
  const add = db.query("INSERT INTO ports (device_id, port, protocol, first_seen, last_seen) VALUES (?, ?, 'tcp', ?, ?) ON CONFLICT DO UPDATE SET last_seen = excluded.last_seen");
  for (const p of ports) add.run(id, p, at, at);
}

/** Stores the sensor's changes on the hub's devices; skips the `device_added` of a device that moved and the old segment's news. */
function copyChanges(db: Database, segment: string, changes: WireChange[], moved: Set<string>): Change[] {
  const out: Change[] = [];
  const insert = db.query(
    `INSERT INTO changes (scan_id, device_id, device_ip, device_mac, change_type, severity, old_value, new_value, description, detected_at, segment)
     VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const c of changes) {
    const id = c.device_mac ? deviceByMac(db, c.device_mac) : null;
    if (c.device_mac && moved.has(c.device_mac) && c.change_type === "device_added") continue;
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
