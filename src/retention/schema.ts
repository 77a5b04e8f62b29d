// The maintenance shapes of the database: what one pruning run removed, and the file's size and rows.
import { Type, type Static } from "@sinclair/typebox";
import { count, named } from "../schema-kit.ts";

export const RetentionCounts = Type.Object(
  {
    scans: count("Scans removed (with their sightings)"),
    changes: count("Changes removed"),
    audit: count("Audit log entries removed"),
    notifications: count("Notification records removed"),
    presence: count("Presence sessions removed (those that ended before the cutoff)"),
  },
  { ...named("RetentionCounts"), description: "What one pruning run removed" },
);
export type RetentionCounts = Static<typeof RetentionCounts>;

export const DatabaseStats = Type.Object(
  {
    file_bytes: count("Size of the database file"),
    wal_bytes: count("Size of its write-ahead log"),
    page_size: count(),
    page_count: count(),
    free_pages: count("Unused pages (reused before the file grows)"),
    rows: Type.Record(Type.String(), count(), { description: "Rows per table" }),
  },
  { ...named("DatabaseStats") },
);
export type DatabaseStats = Static<typeof DatabaseStats>;
