// Pruning of history older than `retention_days` (SPEC §5 "Retention"): scans, changes, audit entries,
// notification records and presence sessions that ended before the cutoff; devices never, nor the
// newest completed network scan. Deletes in small batches, one short write transaction
// each, yielding to the event loop in between, so an API request never waits long behind it.
import type { Database } from "bun:sqlite";
import { isoNow } from "../time.ts";
import { startCheckpointer } from "./checkpointer.ts";
import type { DatabaseStats, RetentionCounts } from "./schema.ts";

export const BATCH_ROWS = 500;
/** How often pruning hands the write-ahead log to the checkpoint worker (and waits for it). */
const CHECKPOINT_EVERY_MS = 100;
/** A batch that holds the write lock longer than this is followed by smaller ones. */
const BATCH_BUDGET_MS = 15;
const MIN_BATCH_ROWS = 25;

/** What a run removed, as POST /api/retention/cleanup answers it (schema.ts). */
export type PruneCounts = RetentionCounts;

type Step = { table: keyof PruneCounts | null; sql: string };


/**
 * Removes every row older than `days` days. A scan goes once it started before the cutoff and none
 * of its changes is younger (those keep it for the next run), so the trend series (one point per
 * scan) only ever loses its oldest points. Batches are at most `batch` rows and shrink while one
 * takes longer than BATCH_BUDGET_MS; after each, pruning rests as long as the batch took, so requests
 * get at least half of the time. `onBatch` sees the duration of each write transaction.
 */
export async function pruneHistory(
  db: Database,
  days: number,
  opts: { now?: number; batch?: number; onBatch?: (ms: number) => void; signal?: AbortSignal } = {},
): Promise<PruneCounts> {
  const cutoff = isoNow((opts.now ?? Date.now()) - days * 86_400_000);
  const max = opts.batch ?? BATCH_ROWS;
  const counts: PruneCounts = { scans: 0, changes: 0, audit: 0, notifications: 0, presence: 0 };
  // The newest completed network scan always stays, however old: the quiet first run lasts until one
  // exists (inventory/first-run.ts), so deleting the last one would make every new guest news-free again.
  const oldScans = `SELECT id FROM scans s WHERE started_at < ?1 AND status NOT IN ('pending', 'running')
                      AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.scan_id = s.id AND c.detected_at >= ?1)
                      AND s.id IS NOT (SELECT id FROM scans WHERE scan_type = 'network' AND status = 'completed' ORDER BY started_at DESC, id DESC LIMIT 1)`;
  const steps: Step[] = [
    { table: "changes", sql: `DELETE FROM changes WHERE id IN (SELECT id FROM changes WHERE detected_at < ?1 ORDER BY detected_at LIMIT ?2)` },
    // A scan's sightings go in batches of their own: one scan of a big network has thousands.
    { table: null, sql: `DELETE FROM scan_devices WHERE (scan_id, device_id) IN (SELECT scan_id, device_id FROM scan_devices WHERE scan_id IN (${oldScans}) LIMIT ?2)` },
    { table: "scans", sql: `DELETE FROM scans WHERE id IN (${oldScans} LIMIT ?2)` },
    { table: "audit", sql: `DELETE FROM audit_logs WHERE id IN (SELECT id FROM audit_logs WHERE timestamp < ?1 ORDER BY timestamp LIMIT ?2)` },
    // Deliveries still pending are kept whatever their age: they have yet to be sent.
    { table: "notifications", sql: `DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE created_at < ?1 AND status <> 'pending' LIMIT ?2)` },
    // A session still open is the device's present, whenever it began; a closed one goes once it ended before the cutoff.
    { table: "presence", sql: `DELETE FROM presence_sessions WHERE id IN (SELECT id FROM presence_sessions WHERE ended_at < ?1 ORDER BY ended_at LIMIT ?2)` },
  ];
  let n = max;
  const checkpointer = startCheckpointer(db);
  let checkpointed = performance.now();
  try {
    for (const step of steps) {
      const statement = db.query(step.sql);
      for (;;) {
        if (opts.signal?.aborted) return counts;
        const started = performance.now();
        const removed = db.transaction(() => statement.run(cutoff, n).changes).immediate();
        const ms = performance.now() - started;
        opts.onBatch?.(ms);
        if (step.table) counts[step.table] += removed;
        if (removed < n) break;
        if (ms > BATCH_BUDGET_MS) n = Math.max(MIN_BATCH_ROWS, Math.floor(n / 2));
        else if (ms < BATCH_BUDGET_MS / 3) n = Math.min(max, n * 2);
        // Rest as long as the batch took: waiting requests run in between.
        await Bun.sleep(Math.max(1, ms));
        if (performance.now() - checkpointed > CHECKPOINT_EVERY_MS) {
          await checkpointer.checkpoint();
          checkpointed = performance.now();
        }
      }
    }
  } finally {
    await checkpointer.stop();
  }
  return counts;
}

/** File size and row counts for GET /api/stats/db. */
export function databaseStats(db: Database): DatabaseStats {
  const pragma = (name: string) => Object.values(db.query(`PRAGMA ${name}`).get() as Record<string, number>)[0];
  const tables = (db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  const rows = Object.fromEntries(tables.map((t) => [t, (db.query(`SELECT count(*) AS n FROM "${t.replaceAll('"', '""')}"`).get() as { n: number }).n]));
  const file = db.filename ? Bun.file(db.filename) : null;
  const wal = db.filename ? Bun.file(`${db.filename}-wal`) : null;
  return {
    file_bytes: file?.size ?? 0,
    wal_bytes: wal?.size ?? 0,
    page_size: pragma("page_size"),
    page_count: pragma("page_count"),
    free_pages: pragma("freelist_count"),
    rows,
  };
}
