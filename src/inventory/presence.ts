// Presence history (SPEC §7 "Presence"): when each device was online, kept as sessions (one row per
// online interval, table presence_sessions), never as a row per sighting.
//
// - markSeen opens a session when a device is seen while it has none open, and leaves an open one as
//   it is (an open session lasts "until now"). A device seen again within the grace after its last
//   session ended resumes that session instead of starting another: a phone that dozes for a few
//   minutes is one session, not dozens.
// - markGone closes the open session at the last time the device was seen.
// Both run inside the caller's transaction, next to the write of the device's status, by the one
// owner of that write: identity.ts (seen, by scans and sightings), reconcile.ts (gone after missed
// scans) and the departure prober (source "probe").
//
// Readers: a device's intervals, newest first, and online seconds per hour or day for the network.
import type { Database } from "bun:sqlite";
import { toIso } from "../time.ts";
import type { PresenceBucket, PresenceSource } from "./enums.ts";
import type { PresenceInterval, DevicePresence } from "./presence-schema.ts";

export { PRESENCE_BUCKETS, PRESENCE_SOURCES, type PresenceBucket, type PresenceSource } from "./enums.ts";

/** A device seen again within this long of its last sighting continues its session. */
export const PRESENCE_GRACE_MS = 15 * 60_000;

export const BUCKET_MS: Record<PresenceBucket, number> = { hour: 3_600_000, day: 86_400_000 };

/** The most buckets one request may ask for: 31 days of hours, a year (leap or not) of days. */
export const MAX_BUCKETS: Record<PresenceBucket, number> = { hour: 31 * 24, day: 366 };

/** The window GET /api/presence covers when `since` is not given. */
export const DEFAULT_SPAN_MS: Record<PresenceBucket, number> = { hour: 86_400_000, day: 30 * 86_400_000 };

/** What markSeen did: a new session, the open one left running, or a closed one resumed within the grace. */
export type SeenOutcome = "opened" | "extended" | "resumed";

type SessionRow = { id: number; started_at: string; ended_at: string | null; source: PresenceSource };

// A session overlaps [since, until) when it began before `until` and had not ended before `since`.
const OVERLAPS = "(?2 IS NULL OR started_at < ?2) AND (?1 IS NULL OR ended_at IS NULL OR ended_at >= ?1)";
// For the whole network the window is always bounded, and the sessions in it are found through
// their end (presence_sessions_ended): those that ended inside or after it, and the open ones. A
// request reads the sessions of its window, never the whole history; spelt as two searches because
// with DISTINCT the planner would rather walk every row of the device index.
const IN_RANGE = `SELECT device_id, started_at, ended_at FROM presence_sessions WHERE ended_at >= ?1 AND started_at < ?2
  UNION ALL SELECT device_id, started_at, ended_at FROM presence_sessions WHERE ended_at IS NULL AND started_at < ?2`;

/** The SQL this module runs, exported so that the query-plan test checks exactly it. */
export const PRESENCE_SQL = {
  latest: "SELECT id, started_at, ended_at, source FROM presence_sessions WHERE device_id = ? ORDER BY started_at DESC, id DESC LIMIT 1",
  deviceCount: `SELECT count(*) AS n FROM presence_sessions WHERE device_id = ?3 AND ${OVERLAPS}`,
  deviceList: `SELECT started_at AS "from", ended_at AS "to", source FROM presence_sessions WHERE device_id = ?3 AND ${OVERLAPS} ORDER BY started_at DESC, id DESC LIMIT ?4 OFFSET ?5`,
  networkCount: `SELECT count(DISTINCT device_id) AS n FROM (${IN_RANGE})`,
  networkDevices: `SELECT DISTINCT device_id FROM (${IN_RANGE}) ORDER BY device_id LIMIT ?3 OFFSET ?4`,
  networkSessions: `SELECT device_id, started_at, ended_at FROM (${IN_RANGE}) WHERE device_id IN (SELECT value FROM json_each(?3))`,
};

/** The device was seen online at `at` (ISO): opens, keeps or resumes its session. */
export function markSeen(db: Database, deviceId: number, at: string, source: PresenceSource, graceMs: number = PRESENCE_GRACE_MS): SeenOutcome {
  const last = db.query(PRESENCE_SQL.latest).get(deviceId) as SessionRow | null;
  if (last && last.ended_at === null) return "extended";
  if (last && Date.parse(at) - Date.parse(last.ended_at!) <= graceMs) {
    db.query("UPDATE presence_sessions SET ended_at = NULL WHERE id = ?").run(last.id);
    return "resumed";
  }
  db.query("INSERT INTO presence_sessions (device_id, started_at, ended_at, source) VALUES (?, ?, NULL, ?)").run(deviceId, at, source);
  return "opened";
}

/** The device went offline; it was last seen at `lastSeen` (ISO). Closes its open session; false when none was open. */
export function markGone(db: Database, deviceId: number, lastSeen: string): boolean {
  // A session never ends before it began (a last-seen older than the start, from a clock step).
  return db.query("UPDATE presence_sessions SET ended_at = max(started_at, ?) WHERE device_id = ? AND ended_at IS NULL").run(lastSeen, deviceId).changes > 0;
}

/** A window [since, until) of ISO times; either end open when absent. */
export type PresenceWindow = { since?: string; until?: string };

/** A device's sessions that overlap the window, newest first, unclipped (an open one has `to` null); null for an unknown device. */
export function deviceSessions(db: Database, deviceId: number, w: PresenceWindow, page: { limit: number; offset: number }): { items: PresenceInterval[]; total: number } | null {
  if (db.query("SELECT 1 FROM devices WHERE id = ?").get(deviceId) === null) return null;
  const args = [w.since ?? null, w.until ?? null, deviceId];
  const total = (db.query(PRESENCE_SQL.deviceCount).get(...args) as { n: number }).n;
  const items = db.query(PRESENCE_SQL.deviceList).all(...args, page.limit, page.offset) as PresenceInterval[];
  return { items, total };
}

/** How many buckets bucketStarts cuts [since, until) into. */
export function bucketCount(sinceMs: number, untilMs: number, bucket: PresenceBucket): number {
  const size = BUCKET_MS[bucket];
  return Math.max(0, Math.ceil((untilMs - Math.floor(sinceMs / size) * size) / size));
}

/** The buckets a range is cut into: starts aligned to whole UTC hours or days, from the one holding `since` to `until`. */
export function bucketStarts(sinceMs: number, untilMs: number, bucket: PresenceBucket): number[] {
  const size = BUCKET_MS[bucket];
  const starts: number[] = [];
  for (let at = Math.floor(sinceMs / size) * size; at < untilMs; at += size) starts.push(at);
  return starts;
}

/**
 * Online seconds per bucket: each interval clipped to each bucket it overlaps and to [sinceMs, untilMs)
 * (so the first and last buckets count only the part of them inside the range). Intervals are
 * epoch-ms pairs; an open one ends at `untilMs`. Overlapping intervals are counted once.
 */
export function onlineSeconds(intervals: { from: number; to: number | null }[], starts: number[], size: number, sinceMs: number, untilMs: number): number[] {
  const seconds = starts.map(() => 0);
  if (starts.length === 0) return seconds;
  const first = starts[0];
  // Merged first, so two sessions of one device that overlap never count the same second twice.
  const clipped = intervals
    .map((i) => ({ from: Math.max(i.from, sinceMs), to: Math.min(i.to ?? untilMs, untilMs) }))
    .filter((i) => i.to > i.from)
    .sort((a, b) => a.from - b.from);
  const merged: { from: number; to: number }[] = [];
  for (const i of clipped) {
    const prev = merged[merged.length - 1];
    if (prev && i.from <= prev.to) prev.to = Math.max(prev.to, i.to);
    else merged.push({ ...i });
  }
  for (const i of merged) {
    for (let k = Math.max(0, Math.floor((i.from - first) / size)); k < starts.length && starts[k] < i.to; k++) {
      const overlap = Math.min(i.to, starts[k] + size) - Math.max(i.from, starts[k]);
      if (overlap > 0) seconds[k] += overlap / 1000;
    }
  }
  return seconds.map((s) => Math.round(s));
}

/**
 * Online seconds per bucket for each device with a session in [since, until), by device id, one page
 * of devices at a time. Open sessions count until `now` (and never past it).
 */
export function networkPresence(
  db: Database,
  range: { since: string; until: string; bucket: PresenceBucket; now: number },
  page: { limit: number; offset: number },
): { items: DevicePresence[]; total: number } {
  const w = [range.since, range.until];
  const total = (db.query(PRESENCE_SQL.networkCount).get(...w) as { n: number }).n;
  const ids = (db.query(PRESENCE_SQL.networkDevices).all(...w, page.limit, page.offset) as { device_id: number }[]).map((r) => r.device_id);
  if (ids.length === 0) return { items: [], total };
  const rows = db.query(PRESENCE_SQL.networkSessions).all(...w, JSON.stringify(ids)) as { device_id: number; started_at: string; ended_at: string | null }[];
  const byDevice = new Map<number, { from: number; to: number | null }[]>(ids.map((id) => [id, []]));
  for (const r of rows) byDevice.get(r.device_id)!.push({ from: Date.parse(r.started_at), to: r.ended_at === null ? null : Date.parse(r.ended_at) });
  const sinceMs = Date.parse(range.since);
  // Nothing is known about the future: an open session counts up to now.
  const untilMs = Math.min(Date.parse(range.until), Math.max(sinceMs, range.now));
  const starts = bucketStarts(sinceMs, Date.parse(range.until), range.bucket);
  const at = starts.map(toIso);
  const items = ids.map((device_id) => {
    const seconds = onlineSeconds(byDevice.get(device_id)!, starts, BUCKET_MS[range.bucket], sinceMs, untilMs);
    return { device_id, buckets: at.map((iso, k) => ({ at: iso, online_seconds: seconds[k] })) };
  });
  return { items, total };
}
