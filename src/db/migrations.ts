// Schema migrations, applied in order at start-up. `PRAGMA user_version` records how many have
// run, so each entry runs exactly once per database. Append only: never edit a released step,
// add a new one (a database from an older version must migrate without loss).
import type { Database } from "bun:sqlite";

export type Migration = { version: number; description: string; sql: string };

export const migrations: Migration[] = [
  {
    version: 1,
    description: "users, sessions and API keys",
    sql: `
      CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
      );
      CREATE TABLE sessions (
        token_hash  TEXT PRIMARY KEY,          -- SHA-256 of the cookie token, never the token itself
        user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at  TEXT NOT NULL,
        expires_at  INTEGER NOT NULL,          -- epoch ms, compared on every request
        remember    INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE INDEX sessions_expires ON sessions(expires_at);
      CREATE TABLE api_keys (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        key_prefix   TEXT NOT NULL,
        key_digest   BLOB NOT NULL,            -- SHA-256 of the full key; the key is never stored
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT
      );
      CREATE UNIQUE INDEX api_keys_digest ON api_keys(key_digest);
    `,
  },
  {
    version: 2,
    description: "audit log",
    sql: `
      CREATE TABLE audit_logs (
        id          INTEGER PRIMARY KEY,
        timestamp   TEXT NOT NULL,
        username    TEXT,
        action      TEXT NOT NULL,
        resource    TEXT,
        ip_address  TEXT,
        user_agent  TEXT,
        success     INTEGER NOT NULL,
        details     TEXT                        -- JSON object, never a secret
      );
      CREATE INDEX audit_logs_action ON audit_logs(action, id);
    `,
  },
];

export const LATEST_VERSION = migrations[migrations.length - 1].version;

export class SchemaTooNewError extends Error {
  constructor(found: number) {
    super(`the database schema is version ${found}, newer than this Argus knows (${LATEST_VERSION}); upgrade Argus or restore a backup`);
  }
}

/** Brings the schema up to `target` (default: the latest) in one transaction; returns the versions applied. */
export function migrate(db: Database, target: number = LATEST_VERSION): number[] {
  const current = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (current > LATEST_VERSION) throw new SchemaTooNewError(current);
  const pending = migrations.filter((m) => m.version > current && m.version <= target);
  if (pending.length === 0) return [];
  db.transaction(() => {
    for (const m of pending) db.run(m.sql);
    // PRAGMA does not take bound parameters; the value is our own integer.
    db.run(`PRAGMA user_version = ${pending[pending.length - 1].version}`);
  }).immediate();
  return pending.map((m) => m.version);
}
