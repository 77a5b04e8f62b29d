// Opens the appliance's SQLite file with the settings every connection needs, then migrates it.
import { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrate } from "./migrations.ts";

export const DB_FILE = "argus.db";

export function openDatabase(dataDir: string): Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, DB_FILE);
  const db = new Database(path, { create: true, strict: true });
  configure(db);
  migrate(db);
  // The file holds password hashes and key digests: owner only, whatever the umask.
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  return db;
}

export function configure(db: Database): void {
  // WAL lets the API read while a scan writes; NORMAL sync is durable across process crashes in WAL mode.
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.run("PRAGMA foreign_keys = ON");
  db.run("PRAGMA busy_timeout = 5000");
}
