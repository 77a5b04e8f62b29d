// A LAN past its quiet first run. Until a network scan has completed, what Argus finds is the baseline
// (info, announced in one digest: issue 18, src/inventory/first-run.ts); suites about what a later scan
// or sighting announces start from a database where one network scan has completed. Its subnet is
// outside every test subnet, and it found nothing, so no later scan compares with it or misses a device.
import type { Database } from "bun:sqlite";

export function completedNetworkScan(db: Database, at = "2026-01-01T00:00:00Z"): number {
  const row = db
    .query("INSERT INTO scans (scan_type, profile, subnet, status, started_at, finished_at) VALUES ('network', 'quick', '198.51.100.0/24', 'completed', ?1, ?1) RETURNING id")
    .get(at) as { id: number };
  return row.id;
}
