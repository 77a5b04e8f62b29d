// /api/audit-logs: the security audit trail, newest first.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { AUDIT_ACTIONS } from "../audit/audit-log.ts";
import { authentication } from "./guard.ts";
import { AuditAction, AuditEntry, models, ref } from "./models.ts";
import { json, jsonPage } from "./openapi.ts";
import { noQuery, oneOf, page, paging, strictQuery } from "./schemas.ts";

const ENTRY_EXAMPLE = {
  id: 12,
  timestamp: "2024-01-15T10:30:00Z",
  username: "admin",
  action: "api_key_created",
  resource: "api_key:1",
  ip_address: "192.168.1.20",
  user_agent: "curl/8.5.0",
  success: true,
  details: { name: "My Integration", key_prefix: "argus_ab" },
};

export function auditRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.audit" })
    .use(authentication(ctx))
    .use(models())
    .get(
      "/api/audit-logs",
      ({ query, set }) => {
        const { items, total } = ctx.audit.list({ action: query.action, limit: query.limit ?? 50, offset: query.offset ?? 0 });
        return page(set, items, total);
      },
      {
        query: strictQuery({ action: t.Optional(oneOf(AUDIT_ACTIONS, `action: must be one of ${AUDIT_ACTIONS.join(", ")}`)), ...paging }),
        response: { 200: t.Array(ref(AuditEntry)) },
        detail: {
          summary: "Audit log entries, newest first (total in X-Total-Count)",
          tags: ["audit"],
          responses: { 200: jsonPage("Entries, newest first", [ENTRY_EXAMPLE]) },
        },
      },
    )
    .get("/api/audit-logs/actions", () => [...AUDIT_ACTIONS], {
      query: noQuery,
      response: { 200: t.Array(ref(AuditAction)) },
      detail: { summary: "The audit actions that can be filtered on", tags: ["audit"], responses: { 200: json("Every action", [...AUDIT_ACTIONS]) } },
    });
}
