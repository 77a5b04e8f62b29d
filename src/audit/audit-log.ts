// The security audit trail (SPEC §2). Entries are written by the domain code that performs the
// action and read back through /api/audit-logs. `details` must never hold a secret.
import type { Database } from "bun:sqlite";
import { fetchPage, Where } from "../db/paging.ts";
import type { AuditAction, AuditEntry } from "./schema.ts";
import { isoNow } from "../time.ts";

export { AUDIT_ACTIONS, type AuditAction } from "./schema.ts";

/** Who did it and from where; built once per request by the API layer. */
export type Actor = { username: string | null; ip: string | null; userAgent: string | null };

/** An entry as the API answers it (schema.ts). */
export type { AuditEntry };

export class AuditLog {
  constructor(private readonly db: Database) {}

  record(actor: Actor, action: AuditAction, opts: { resource?: string; success?: boolean; details?: Record<string, unknown> } = {}): void {
    this.db
      .query(
        "INSERT INTO audit_logs (timestamp, username, action, resource, ip_address, user_agent, success, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        isoNow(),
        actor.username,
        action,
        opts.resource ?? null,
        actor.ip,
        actor.userAgent?.slice(0, 512) ?? null,
        opts.success === false ? 0 : 1,
        JSON.stringify(opts.details ?? {}),
      );
  }

  /** Newest first, with the unpaginated total. */
  list(filter: { action?: AuditAction; limit: number; offset: number }): { items: AuditEntry[]; total: number } {
    const { clause, args } = new Where().eq("action", filter.action || undefined);
    const { rows, total } = fetchPage<Omit<AuditEntry, "success" | "details"> & { success: number; details: string }>(
      this.db,
      { count: `SELECT count(*) AS n FROM audit_logs ${clause}`, select: `SELECT * FROM audit_logs ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`, args },
      filter,
    );
    return { items: rows.map((r) => ({ ...r, success: r.success === 1, details: JSON.parse(r.details ?? "{}") })), total };
  }
}
