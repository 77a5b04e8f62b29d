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

// A device's sessions follow one another: markSeen opens one only when the latest has ended (and
// after the grace), markGone ends one no earlier than it began. So, by started_at, each session
// ends before the next begins, and every read below is a range of presence_sessions_device
// (device_id, started_at) bounded on both ends:
// - the sessions of a device that overlap [since, until) are those that began in [from, until),
//   `from` being the start of its last session begun before `since` (the one that may reach into
//   the window), or `since` itself;
// - a device was online in the window when its last session begun before `until` had not ended
//   before `since`: one step back from `until` per device, so a window before all history reads
//   no session at all.
// Absent ends are '' and '~' (before and after every stored time) so that the ranges stay searches.
const FROM = `coalesce((SELECT max(p.started_at) FROM presence_sessions p WHERE p.device_id = ?3 AND p.started_at < ?1), ?1)`;
const OVERLAPS = `device_id = ?3 AND started_at >= ${FROM} AND started_at < ?2 AND (ended_at IS NULL OR ended_at >= ?1)`;
// The device whose last session before `until` reaches `since` (ORDER BY … LIMIT 1 walks the index
// backwards from `until` and stops at the first row).
const ONLINE_IN = `(SELECT s.ended_at IS NULL OR s.ended_at >= ?1 FROM presence_sessions s
  WHERE s.device_id = d.id AND s.started_at < ?2 ORDER BY s.started_at DESC LIMIT 1)`;

/** The SQL this module runs, exported so that the query-plan test checks exactly it. */
export const PRESENCE_SQL = {
  latest: "SELECT id, started_at, ended_at, source FROM presence_sessions WHERE device_id = ? ORDER BY started_at DESC, id DESC LIMIT 1",
  deviceCount: `SELECT count(*) AS n FROM presence_sessions WHERE ${OVERLAPS}`,
  deviceList: `SELECT started_at AS "from", ended_at AS "to", source FROM presence_sessions WHERE ${OVERLAPS} ORDER BY started_at DESC, id DESC LIMIT ?4 OFFSET ?5`,
  // Every device online in the window, by id: one index step per device, whatever the history holds;
  // read in slices of devices (ids in (?3, ?4]).
  networkDevices: `SELECT d.id AS device_id FROM devices d WHERE d.id > ?3 AND d.id <= ?4 AND ${ONLINE_IN} ORDER BY d.id`,
  // The sessions of one device in the window (read device by device, a page in chunks).
  networkSessions: `SELECT started_at, ended_at FROM presence_sessions WHERE ${OVERLAPS}`,
};

/** Stand-ins for an absent end of a window: before and after every stored time, so ranges stay searches. */
const BEFORE_ALL = "";
const AFTER_ALL = "~";

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
  const args = [w.since ?? BEFORE_ALL, w.until ?? AFTER_ALL, deviceId];
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

/** At most this many buckets (devices × buckets of the range) in one answer of GET /api/presence. */
export const MAX_ANSWER_BUCKETS = 50_000;
/** Devices bucketed between two yields to the event loop, by buckets: a slice is a few milliseconds. */
const CHUNK_BUCKETS = 5_000;

export type PresenceRange = { since: string; until: string; bucket: PresenceBucket; now: number };

/** Devices looked at between two yields while finding those online in a window (a few milliseconds). */
const CHUNK_DEVICES = 1_000;

/** The device ids in slices of CHUNK_DEVICES: the (after, last] bounds of each. */
function* deviceSlices(db: Database): Generator<[number, number]> {
  const next = db.query("SELECT max(id) AS last FROM (SELECT id FROM devices WHERE id > ?1 ORDER BY id LIMIT ?2)");
  for (let after = 0; ; ) {
    const last = (next.get(after, CHUNK_DEVICES) as { last: number | null }).last;
    if (last === null) return;
    yield [after, last];
    after = last;
  }
}

/** The ids of the devices online some time in [since, until) among the ids in (after, last]: one index step per device. */
function presentAmong(db: Database, range: { since: string; until: string }, [after, last]: [number, number]): number[] {
  return (db.query(PRESENCE_SQL.networkDevices).all(range.since, range.until, after, last) as { device_id: number }[]).map((r) => r.device_id);
}

/** The ids of the devices online some time in [since, until), by id. */
export function presentDevices(db: Database, range: { since: string; until: string }): number[] {
  return [...deviceSlices(db)].flatMap((slice) => presentAmong(db, range, slice));
}

/** Online seconds per bucket of the range for each of these devices, read and bucketed device by device. */
export function devicesPresence(db: Database, ids: number[], range: PresenceRange): DevicePresence[] {
  const sinceMs = Date.parse(range.since);
  // Nothing is known about the future: an open session counts up to now.
  const untilMs = Math.min(Date.parse(range.until), Math.max(sinceMs, range.now));
  const starts = bucketStarts(sinceMs, Date.parse(range.until), range.bucket);
  const at = starts.map(toIso);
  const sessions = db.query(PRESENCE_SQL.networkSessions);
  return ids.map((device_id) => {
    const rows = sessions.all(range.since, range.until, device_id) as { started_at: string; ended_at: string | null }[];
    const intervals = rows.map((r) => ({ from: Date.parse(r.started_at), to: r.ended_at === null ? null : Date.parse(r.ended_at) }));
    const seconds = onlineSeconds(intervals, starts, BUCKET_MS[range.bucket], sinceMs, untilMs);
    return { device_id, buckets: at.map((iso, k) => ({ at: iso, online_seconds: seconds[k] })) };
  });
}

/**
 * Online seconds per bucket for each device with a session in [since, until), by device id, one page
 * of devices at a time. Open sessions count until `now` (and never past it).
 */
export function networkPresence(db: Database, range: PresenceRange, page: { limit: number; offset: number }): { items: DevicePresence[]; total: number } {
  const ids = presentDevices(db, range);
  return { items: devicesPresence(db, ids.slice(page.offset, page.offset + page.limit), range), total: ids.length };
}

/**
 * networkPresence for a request: the page's devices in chunks of about CHUNK_BUCKETS buckets, with a
 * turn of the event loop between chunks, so one request never holds the appliance for long.
 */
export async function networkPresenceInChunks(db: Database, range: PresenceRange, page: { limit: number; offset: number }): Promise<{ items: DevicePresence[]; total: number }> {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const ids: number[] = [];
  for (const slice of deviceSlices(db)) {
    if (ids.length > 0 || slice[0] > 0) await turn();
    ids.push(...presentAmong(db, range, slice));
  }
  const wanted = ids.slice(page.offset, page.offset + page.limit);
  const perChunk = Math.max(1, Math.floor(CHUNK_BUCKETS / Math.max(1, bucketCount(Date.parse(range.since), Date.parse(range.until), range.bucket))));
  const items: DevicePresence[] = [];
  for (let i = 0; i < wanted.length; i += perChunk) {
    await turn();
    items.push(...devicesPresence(db, wanted.slice(i, i + perChunk), range));
  }
  return { items, total: ids.length };
}
