// A sensor's own records carry its segment (SPEC §7: devices, changes and scans carry `segment`).
// Every writer (scans, sightings, departure probes, alerts) inserts through the server's one
// connection, so the stamp is set there once, by temporary triggers that live as long as the
// connection: no writer needs to know the role, and a database moved to a standalone appliance
// carries no trigger of it.
import type { Database } from "bun:sqlite";

const TABLES = ["devices", "changes", "scans"] as const;

export function stampSegment(db: Database, segment: string): void {
  // The name matches [A-Za-z0-9_-]{1,64} (config/sections/segments.ts); quoted all the same.
  const literal = `'${segment.replaceAll("'", "''")}'`;
  for (const table of TABLES) {
    db.run(
      `CREATE TEMP TRIGGER IF NOT EXISTS argus_segment_${table} AFTER INSERT ON main.${table} WHEN NEW.segment IS NULL
       BEGIN UPDATE ${table} SET segment = ${literal} WHERE rowid = NEW.rowid; END`,
    );
  }
}
