// The quiet first run: until the first network scan has completed, what Argus finds is the LAN as it
// already was (the baseline), not news. New devices are recorded as info, whoever finds them: the
// first scan, or the passive watch, which starts hearing the LAN as soon as a subnet is confirmed and
// would otherwise make the devices it hears first into warnings before that scan ends.
import type { Database } from "bun:sqlite";

/** Whether no network scan has completed yet (read inside the writer's transaction). */
export function firstRunPending(db: Database): boolean {
  return db.query("SELECT 1 FROM scans WHERE scan_type = 'network' AND status = 'completed' LIMIT 1").get() === null;
}
