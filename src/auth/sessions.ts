// Server-side sessions behind the signed `argus_session` cookie. The cookie carries a random token;
// the database keeps only its SHA-256, so logout (deleting the row) really ends the session and a
// stolen database file cannot be replayed as cookies.
import type { Database } from "bun:sqlite";
import { isoNow } from "../time.ts";
import { randomToken, sha256Hex } from "./digest.ts";
import type { User } from "./users.ts";

export const REMEMBER_MS = 7 * 24 * 3600 * 1000;
/** A browser-session cookie has no expiry of its own; the server still ends it after a day. */
export const SESSION_MS = 24 * 3600 * 1000;

export type NewSession = { token: string; expiresAt: number; remember: boolean };

export class SessionStore {
  constructor(private readonly db: Database) {}

  create(userId: number, remember: boolean, now = Date.now()): NewSession {
    const token = randomToken(32);
    const expiresAt = now + (remember ? REMEMBER_MS : SESSION_MS);
    this.db
      .query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, remember) VALUES (?, ?, ?, ?, ?)")
      .run(sha256Hex(token), userId, isoNow(now), expiresAt, remember ? 1 : 0);
    // Expired rows are only garbage; sweeping them here keeps the table small without a timer.
    this.db.query("DELETE FROM sessions WHERE expires_at <= ?").run(now);
    return { token, expiresAt, remember };
  }

  /** The user a live session belongs to, or null for unknown, expired or ended sessions. */
  lookup(token: string, now = Date.now()): User | null {
    return this.db
      .query("SELECT u.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?")
      .get(sha256Hex(token), now) as User | null;
  }

  destroy(token: string): void {
    this.db.query("DELETE FROM sessions WHERE token_hash = ?").run(sha256Hex(token));
  }

  /** Ends every session of a user (password reset). */
  destroyAllFor(userId: number): void {
    this.db.query("DELETE FROM sessions WHERE user_id = ?").run(userId);
  }
}
