// Opens the appliance's SQLite file with the settings every connection needs, then migrates it.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrate } from "./migrations.ts";

export const DB_FILE = "argus.db";

export function openDatabase(dataDir: string): Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, DB_FILE), { create: true, strict: true });
  configure(db);
  migrate(db);
  return db;
}

export function configure(db: Database): void {
  // WAL lets the API read while a scan writes; NORMAL sync is durable across process crashes in WAL mode.
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.run("PRAGMA foreign_keys = ON");
  db.run("PRAGMA busy_timeout = 5000");
}
