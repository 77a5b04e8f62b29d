// API keys as the seed document defines them: `argus_` + 43 URL-safe base64 characters (32 random
// bytes), shown once. Only a SHA-256 digest is stored; a request is matched by one indexed lookup
// on that digest (a fast hash is right here: the key has 256 bits of entropy, unlike a password).
// Deliberately no in-memory cache of keys: `argus keys revoke` writes from another process, and a
// revoked key must fail on the very next request to the server.
import type { Database } from "bun:sqlite";
import { timingSafeEqual } from "node:crypto";
import type { ApiKey, ApiKeyCreated, KeyScope } from "./schema.ts";
import { isoNow, toIso } from "../time.ts";
import { randomToken, sha256 } from "./digest.ts";

export const KEY_PREFIX = "argus_";
export const KEY_PATTERN = /^argus_[A-Za-z0-9_-]{43}$/;
/** last_used_at is written at most this often per key, so busy integrations do not write per request. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;

export { KEY_SCOPES, type KeyScope } from "./schema.ts";

// The shapes answered here are the keys' schemas (schema.ts), which the API serves.
export type ApiKeyInfo = ApiKey;
export type CreatedApiKey = ApiKeyCreated;

export function generateKey(): string {
  return KEY_PREFIX + randomToken(32);
}

export class ApiKeyStore {
  private readonly lastWritten = new Map<number, number>();
  // Prepared once: authentication and the key list are on the request path of every integration.
  private readonly byDigest;
  private readonly touchStmt;
  private readonly listStmt;

  constructor(private readonly db: Database) {
    this.byDigest = db.prepare("SELECT id, name, scope, key_digest FROM api_keys WHERE key_digest = ? AND revoked_at IS NULL");
    this.touchStmt = db.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?");
    this.listStmt = db.prepare("SELECT id, name, key_prefix, scope, created_at, last_used_at FROM api_keys WHERE revoked_at IS NULL ORDER BY id");
  }

  create(name: string, scope: KeyScope = "full"): CreatedApiKey {
    const key = generateKey();
    const createdAt = isoNow();
    const keyPrefix = key.slice(0, 8);
    const res = this.db
      .query("INSERT INTO api_keys (name, key_prefix, key_digest, scope, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(name, keyPrefix, sha256(key), scope, createdAt);
    return { id: Number(res.lastInsertRowid), name, key, key_prefix: keyPrefix, created_at: createdAt };
  }

  list(): ApiKeyInfo[] {
    return this.listStmt.all() as ApiKeyInfo[];
  }

  get(id: number): ApiKeyInfo | null {
    return this.db
      .query("SELECT id, name, key_prefix, scope, created_at, last_used_at FROM api_keys WHERE id = ? AND revoked_at IS NULL")
      .get(id) as ApiKeyInfo | null;
  }

  /** Revokes a key; false when there is no such active key. Effective for the very next request. */
  revoke(id: number): boolean {
    const res = this.db.query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(isoNow(), id);
    this.lastWritten.delete(id);
    return res.changes > 0;
  }

  /** The active key a presented secret belongs to, or null. */
  authenticate(presented: string, now = Date.now()): { id: number; name: string; scope: KeyScope } | null {
    if (!KEY_PATTERN.test(presented)) return null;
    const digest = sha256(presented);
    const row = this.byDigest.get(digest) as { id: number; name: string; scope: KeyScope; key_digest: Uint8Array } | null;
    // A digest of another length (a hand-edited row) is no match, not a throw from timingSafeEqual.
    if (!row || !(row.key_digest instanceof Uint8Array) || row.key_digest.byteLength !== digest.byteLength || !timingSafeEqual(row.key_digest, digest)) return null;
    // Anything but "read" is full: the column's CHECK allows only the two.
    const key = { id: row.id, name: row.name, scope: row.scope === "read" ? ("read" as const) : ("full" as const) };
    this.touch(key.id, now);
    return key;
  }

  private touch(id: number, now: number): void {
    const last = this.lastWritten.get(id);
    if (last !== undefined && now - last < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastWritten.set(id, now);
    this.touchStmt.run(toIso(now), id);
  }
}
