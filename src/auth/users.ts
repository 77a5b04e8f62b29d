// The single administrator account (SPEC §2: first-run setup creates it once).
import type { Database } from "bun:sqlite";
import { isoNow } from "../time.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";

export type User = { id: number; username: string };

export class UserStore {
  private exists = false;

  constructor(private readonly db: Database) {}

  /** Cached once true: users are never deleted, so the answer cannot flip back. */
  hasAnyUser(): boolean {
    if (!this.exists) this.exists = this.db.query("SELECT 1 FROM users LIMIT 1").get() !== null;
    return this.exists;
  }

  /** Creates the administrator; returns null when one already exists (setup runs once). */
  async createAdmin(username: string, password: string): Promise<User | null> {
    const hash = await hashPassword(password);
    const now = isoNow();
    // The check and the insert share one immediate transaction, so two racing setups cannot both win.
    const created = this.db
      .transaction(() => {
        if (this.db.query("SELECT 1 FROM users LIMIT 1").get() !== null) return null;
        const res = this.db.query("INSERT INTO users (username, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)").run(username, hash, now, now);
        return { id: Number(res.lastInsertRowid), username };
      })
      .immediate();
    if (created) this.exists = true;
    return created;
  }

  /** Checks a login; the work done is the same whether or not the user exists. */
  async verify(username: string, password: string): Promise<User | null> {
    const row = this.db.query("SELECT id, username, password_hash FROM users WHERE username = ?").get(username) as
      | (User & { password_hash: string })
      | null;
    const ok = await verifyPassword(password, row?.password_hash);
    return ok && row ? { id: row.id, username: row.username } : null;
  }

  /** Whether `password` is the current password of the user with this id (a session confirming it). */
  async confirm(userId: number, password: string): Promise<boolean> {
    const row = this.db.query("SELECT password_hash FROM users WHERE id = ?").get(userId) as { password_hash: string } | null;
    return verifyPassword(password, row?.password_hash);
  }

  /**
   * A stamp of the account's stored credential, or null for a name that is no account: it changes when
   * the password is set again (also by `argus user reset-password`, from another process).
   */
  credentialStamp(username: string): string | null {
    const row = this.db.query("SELECT password_hash FROM users WHERE username = ?").get(username) as { password_hash: string } | null;
    return row ? Bun.hash(row.password_hash).toString(36) : null;
  }

  async setPassword(username: string, password: string): Promise<boolean> {
    const hash = await hashPassword(password);
    const res = this.db.query("UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?").run(hash, isoNow(), username);
    return res.changes > 0;
  }

}
