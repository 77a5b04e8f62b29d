// /api/audit-logs: the security audit trail, newest first.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { AUDIT_ACTIONS } from "../audit/audit-log.ts";
import { authentication } from "./authentication.ts";
import { noQuery, oneOf, page, paging, strictQuery } from "./schemas.ts";

export function auditRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.audit" })
    .use(authentication(ctx))
    .get(
      "/api/audit-logs",
      ({ query, set }) => {
        const { items, total } = ctx.audit.list({ action: query.action, limit: query.limit ?? 50, offset: query.offset ?? 0 });
        return page(set, items, total);
      },
      {
        query: strictQuery({ action: t.Optional(oneOf(AUDIT_ACTIONS, `action: must be one of ${AUDIT_ACTIONS.join(", ")}`)), ...paging }),
        detail: { summary: "Audit log entries, newest first (total in X-Total-Count)", tags: ["audit"] },
      },
    )
    .get("/api/audit-logs/actions", () => [...AUDIT_ACTIONS], {
      query: noQuery,
      detail: { summary: "The audit actions that can be filtered on", tags: ["audit"] },
    });
}
