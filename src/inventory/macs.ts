// A device's several interfaces (SPEC §7): every MAC it was seen with (device_macs, schema v20).
// devices.mac_address stays the primary MAC and is always among them. The owner makes one device
// of two (merge) and undoes it (split); identity.ts finds a device by any of its MACs and keeps
// their sightings here. A split is remembered (mac_splits, schema v25) so that automatic interface
// linking never joins what the owner took apart. Runs inside the caller's transaction unless it says otherwise.
import type { Database } from "bun:sqlite";
import { isoNow } from "../time.ts";
import type { DeviceMac } from "./schema.ts";

export type { DeviceMac };

/** The MAC was seen on the device now: recorded, or moved to it from a device it no longer belongs to. */
export function recordMac(db: Database, deviceId: number, mac: string, randomized: boolean, now: string): void {
  db.query(
    `INSERT INTO device_macs (mac, device_id, randomized, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)
     ON CONFLICT (mac) DO UPDATE SET
       first_seen = CASE WHEN device_id = excluded.device_id THEN first_seen ELSE excluded.first_seen END,
       device_id = excluded.device_id, randomized = excluded.randomized, last_seen = excluded.last_seen`,
  ).run(mac, deviceId, randomized ? 1 : 0, now);
}

/**
 * A device seen on this MAC: its last sighting, when the MAC is one of the device's (its primary,
 * say an IP-only device that just learnt it, or one merged into it); never takes a MAC from another device.
 */
export function touchMac(db: Database, deviceId: number, mac: string, randomized: boolean, now: string): void {
  db.query(
    `INSERT OR IGNORE INTO device_macs (mac, device_id, randomized, first_seen, last_seen)
       SELECT ?1, ?2, ?3, ?4, ?4 WHERE EXISTS (SELECT 1 FROM devices WHERE id = ?2 AND mac_address = ?1)`,
  ).run(mac, deviceId, randomized ? 1 : 0, now);
  db.query("UPDATE device_macs SET last_seen = ?3 WHERE mac = ?1 AND device_id = ?2").run(mac, deviceId, now);
}

/** The device no longer uses this MAC (its identity moved to another, identity.ts rotate and undoLink). */
export function dropMac(db: Database, deviceId: number, mac: string): void {
  db.query("DELETE FROM device_macs WHERE mac = ? AND device_id = ?").run(mac, deviceId);
}

/** All MACs of one device: its primary and the others it was seen with. */
export function macsOfDevice(db: Database, deviceId: number): string[] {
  return (
    db.query("SELECT mac FROM device_macs WHERE device_id = ?1 UNION SELECT mac_address FROM devices WHERE id = ?1 AND mac_address IS NOT NULL").all(deviceId) as { mac: string }[]
  ).map((r) => r.mac);
}

/** Whether the owner split one of `macs` apart from one of the device's MACs (mac_splits): automatic linking leaves them apart. */
export function splitApart(db: Database, macs: string[], deviceId: number): boolean {
  const theirs = macsOfDevice(db, deviceId);
  const pair = db.query("SELECT 1 FROM mac_splits WHERE mac_a = ? AND mac_b = ?");
  return macs.some((a) => theirs.some((b) => a !== b && pair.get(a < b ? a : b, a < b ? b : a) !== null));
}

/** The id of the device that owns this MAC as one of its several, if any. */
export function deviceOfMac(db: Database, mac: string): number | null {
  return (db.query("SELECT device_id FROM device_macs WHERE mac = ?").get(mac) as { device_id: number } | null)?.device_id ?? null;
}

/**
 * The MACs of these devices, one query; each device's primary first, then the latest seen. A primary
 * without its row (a device written by plain SQL, as restores and seeds do) reads as seen over the
 * device's own lifetime.
 */
export function macsOf(db: Database, ids: number[]): Map<number, DeviceMac[]> {
  const rows = db
    .query(
      `SELECT d.id AS device_id, d.mac_address AS mac, d.mac_randomized AS randomized, d.first_seen, d.last_seen, 1 AS is_primary FROM devices d
         WHERE d.id IN (SELECT value FROM json_each(?1)) AND d.mac_address IS NOT NULL AND NOT EXISTS (SELECT 1 FROM device_macs m WHERE m.mac = d.mac_address)
       UNION ALL
       SELECT m.device_id, m.mac, m.randomized, m.first_seen, m.last_seen, m.mac IS d.mac_address AS is_primary FROM device_macs m JOIN devices d ON d.id = m.device_id
         WHERE m.device_id IN (SELECT value FROM json_each(?1))
       ORDER BY device_id, is_primary DESC, last_seen DESC, mac`,
    )
    .all(JSON.stringify(ids)) as { device_id: number; mac: string; randomized: number; first_seen: string; last_seen: string; is_primary: number }[];
  const out = new Map<number, DeviceMac[]>();
  for (const { device_id, randomized, is_primary: _, ...m } of rows) {
    const list = out.get(device_id) ?? [];
    list.push({ ...m, randomized: randomized === 1 });
    out.set(device_id, list);
  }
  return out;
}

export class MacError extends Error {
  constructor(
    readonly kind: "not_found" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

/** Gives these devices' primary MACs their rows, where a plain-SQL write left them without (see macsOf). */
function ensurePrimaries(db: Database, ids: number[]): void {
  db.query(
    `INSERT OR IGNORE INTO device_macs (mac, device_id, randomized, first_seen, last_seen)
       SELECT mac_address, id, mac_randomized, first_seen, last_seen FROM devices WHERE id IN (SELECT value FROM json_each(?)) AND mac_address IS NOT NULL`,
  ).run(JSON.stringify(ids));
}

/**
 * Gives these devices' address rows without a MAC (from before schema v24/v28, or written by plain
 * SQL: they read as the device's primary, addresses.ts) that primary, before a merge or split changes
 * which MAC is primary or whose device a row is on.
 */
function pinAddressMacs(db: Database, ids: number[]): void {
  for (const table of ["device_addresses", "device_ip6"]) {
    db.query(
      `UPDATE ${table} SET mac = (SELECT mac_address FROM devices WHERE devices.id = ${table}.device_id)
       WHERE mac IS NULL AND device_id IN (SELECT value FROM json_each(?))`,
    ).run(JSON.stringify(ids));
  }
}

type Row = { id: number; ip_address: string; mac_address: string | null; status: string; first_seen: string; last_seen: string };
const row = (db: Database, id: number) => db.query("SELECT id, ip_address, mac_address, status, first_seen, last_seen FROM devices WHERE id = ?").get(id) as Row | null;

/**
 * Makes one device of two: `otherId`'s MACs, address history, changes, presence sessions, scan
 * sightings and MAC links move to `survivorId`, which keeps its own names, ports, trust and the
 * owner's fields; then `otherId` is deleted (its ports and threats with it: the next scan finds
 * them on the survivor). Both online: the other's open presence session is closed at its last
 * sighting, so the survivor has one. One transaction.
 */
export function mergeDevices(db: Database, survivorId: number, otherId: number): { mac_address: string | null; other_mac: string | null; other_ip: string } {
  if (survivorId === otherId) throw new MacError("invalid", "A device cannot be merged with itself");
  return db.transaction(() => {
    const survivor = row(db, survivorId);
    if (!survivor) throw new MacError("not_found", `Device ${survivorId} not found`);
    const other = row(db, otherId);
    if (!other) throw new MacError("not_found", `Device ${otherId} not found`);
    ensurePrimaries(db, [survivorId, otherId]);
    // The owner joins what they may have split apart before: automatic linking may keep them together again.
    const survivorMacs = macsOfDevice(db, survivorId);
    const unsplit = db.query("DELETE FROM mac_splits WHERE mac_a = ? AND mac_b = ?");
    for (const a of survivorMacs) for (const b of macsOfDevice(db, otherId)) if (a !== b) unsplit.run(a < b ? a : b, a < b ? b : a);
    const args = { $s: survivorId, $o: otherId };
    // Rows that read as their device's primary MAC must keep naming it once one device has two.
    pinAddressMacs(db, [survivorId, otherId]);
    db.query("UPDATE device_macs SET device_id = $s WHERE device_id = $o").run(args);
    // A MAC-less device (beyond a router) merged into one with a MAC: the survivor's MAC stays primary;
    // the other way round the survivor takes the other's.
    if (survivor.mac_address === null && other.mac_address !== null) {
      db.query("UPDATE devices SET mac_address = NULL WHERE id = $o").run(args);
      db.query("UPDATE devices SET mac_address = ?, mac_randomized = (SELECT randomized FROM device_macs WHERE mac = ?) WHERE id = ?").run(other.mac_address, other.mac_address, survivorId);
    }
    // Each address keeps the MAC it was heard from; an address both had keeps the wider span and
    // the MAC that answered for it last (IPv4 history, and IPv6 since migration 21).
    db.query(
      `UPDATE device_addresses AS s SET first_seen = min(s.first_seen, o.first_seen), last_seen = max(s.last_seen, o.last_seen),
         mac = CASE WHEN o.last_seen > s.last_seen THEN o.mac ELSE s.mac END
       FROM device_addresses AS o WHERE s.device_id = $s AND o.device_id = $o AND o.ip_address = s.ip_address`,
    ).run(args);
    db.query("UPDATE OR IGNORE device_addresses SET device_id = $s WHERE device_id = $o").run(args);
    db.query(
      `UPDATE device_ip6 AS s SET first_seen = min(s.first_seen, o.first_seen), last_seen = max(s.last_seen, o.last_seen),
         mac = CASE WHEN o.last_seen > s.last_seen THEN o.mac ELSE s.mac END
       FROM device_ip6 AS o WHERE s.device_id = $s AND o.device_id = $o AND o.address = s.address`,
    ).run(args);
    db.query("UPDATE OR IGNORE device_ip6 SET device_id = $s WHERE device_id = $o").run(args);
    db.query("UPDATE OR IGNORE scan_devices SET device_id = $s WHERE device_id = $o").run(args);
    db.query("UPDATE changes SET device_id = $s WHERE device_id = $o").run(args);
    db.query("UPDATE mac_links SET device_id = $s WHERE device_id = $o").run(args);
    if (survivor.status === "online" && other.status === "online") {
      db.query("UPDATE presence_sessions SET ended_at = ? WHERE device_id = ? AND ended_at IS NULL").run(other.last_seen, otherId);
    }
    db.query("UPDATE presence_sessions SET device_id = $s WHERE device_id = $o").run(args);
    // Seen from the earliest first sighting to the latest last one, where it was seen last.
    const otherNewer = other.last_seen > survivor.last_seen;
    db.query(
      `UPDATE devices SET first_seen = min(first_seen, ?1), last_seen = max(last_seen, ?2), ip_address = CASE WHEN ?3 THEN ?4 ELSE ip_address END,
         status = CASE WHEN ?5 = 'online' THEN 'online' ELSE status END, missed_scans = CASE WHEN ?5 = 'online' THEN 0 ELSE missed_scans END,
         times_seen = times_seen + (SELECT times_seen FROM devices WHERE id = ?7)
       WHERE id = ?6`,
    ).run(other.first_seen, other.last_seen, otherNewer ? 1 : 0, other.ip_address, other.status, survivorId, otherId);
    db.query("DELETE FROM devices WHERE id = ?").run(otherId);
    const merged = row(db, survivorId)!;
    return { mac_address: merged.mac_address, other_mac: other.mac_address, other_ip: other.ip_address };
  })();
}

/**
 * Undoes a merge for one MAC: it becomes a device of its own again (a new id), offline until it is
 * next seen, at the address it was last heard from (its newest IPv4 history row, else its latest
 * change), else the device's. The IPv4 and IPv6 addresses that MAC answered for go with it (each
 * records its MAC: schema v28 and v24). Changes and presence sessions stay with the device it was
 * merged into: which of them were this MAC's is not recorded. Splitting off the primary MAC makes
 * the latest-seen other MAC primary. One transaction.
 */
export function splitMac(db: Database, deviceId: number, mac: string): { new_id: number; ip_address: string; primary: string } {
  return db.transaction(() => {
    const device = row(db, deviceId);
    if (!device) throw new MacError("not_found", `Device ${deviceId} not found`);
    ensurePrimaries(db, [deviceId]);
    pinAddressMacs(db, [deviceId]);
    const macs = macsOf(db, [deviceId]).get(deviceId) ?? [];
    const split = macs.find((m) => m.mac === mac);
    if (!split) throw new MacError("invalid", `mac: ${mac} is not one of device ${deviceId}'s MACs`);
    if (macs.length < 2) throw new MacError("invalid", `mac: ${mac} is the device's only MAC; there is nothing to split`);
    let primary = device.mac_address!;
    if (mac === device.mac_address) {
      const next = macs.find((m) => m.mac !== mac)!;
      primary = next.mac;
      db.query("UPDATE devices SET mac_address = ?, mac_randomized = ? WHERE id = ?").run(next.mac, next.randomized ? 1 : 0, deviceId);
    }
    const heard = db.query("SELECT ip_address FROM device_addresses WHERE device_id = ? AND mac = ? ORDER BY last_seen DESC, ip_address LIMIT 1").get(deviceId, mac) as { ip_address: string } | null;
    const lastIp = db.query("SELECT device_ip FROM changes WHERE device_mac = ? AND device_ip IS NOT NULL ORDER BY id DESC LIMIT 1").get(mac) as { device_ip: string } | null;
    const ip = heard?.ip_address ?? lastIp?.device_ip ?? device.ip_address;
    const res = db
      .query("INSERT INTO devices (mac_address, ip_address, mac_randomized, status, first_seen, last_seen, times_seen) VALUES (?, ?, ?, 'offline', ?, ?, 0)")
      .run(mac, ip, split.randomized ? 1 : 0, split.first_seen, split.last_seen);
    const newId = Number(res.lastInsertRowid);
    db.query("UPDATE device_macs SET device_id = ? WHERE mac = ?").run(newId, mac);
    // The addresses this MAC answered for go with it.
    db.query("UPDATE device_addresses SET device_id = ? WHERE device_id = ? AND mac = ?").run(newId, deviceId, mac);
    db.query("UPDATE device_ip6 SET device_id = ? WHERE device_id = ? AND mac = ?").run(newId, deviceId, mac);
    // Its current address went with that MAC: the device is where its remaining interfaces were heard last.
    db.query(
      `UPDATE devices SET ip_address = (SELECT ip_address FROM device_addresses WHERE device_id = ?1 ORDER BY last_seen DESC, ip_address LIMIT 1)
       WHERE id = ?1 AND ip_address = ?2 AND EXISTS (SELECT 1 FROM device_addresses WHERE device_id = ?1) AND NOT EXISTS (SELECT 1 FROM device_addresses WHERE device_id = ?1 AND ip_address = ?2)`,
    ).run(deviceId, device.ip_address);
    // The owner's word: automatic interface linking (identity.ts) must not join them again.
    const keep = db.query("INSERT OR REPLACE INTO mac_splits (mac_a, mac_b, split_at) VALUES (?, ?, ?)");
    const now = isoNow();
    for (const m of macs) if (m.mac !== mac) keep.run(m.mac < mac ? m.mac : mac, m.mac < mac ? mac : m.mac, now);
    return { new_id: newId, ip_address: ip, primary };
  })();
}
