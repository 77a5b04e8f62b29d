// /api/changes: what the scans noticed, newest first, and acknowledging it (SPEC §4).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { ChangeLog, parseSince } from "../inventory/changes.ts";
import { CHANGE_TYPES, SEVERITIES } from "../inventory/observation.ts";
import { authentication } from "./authentication.ts";
import { HttpError } from "./errors.ts";
import { idParams, noQuery, oneOf, page, paging, strictQuery, wholeNumber } from "./schemas.ts";

const nullableString = t.Nullable(t.String());
const change = t.Object({
  id: t.Integer(),
  scan_id: t.Nullable(t.Integer()),
  device_id: t.Nullable(t.Integer({ description: "null once the device has been deleted" })),
  device_ip: nullableString,
  device_mac: nullableString,
  change_type: t.String({ description: CHANGE_TYPES.join(" | ") }),
  severity: t.String({ description: SEVERITIES.join(" | ") }),
  old_value: nullableString,
  new_value: nullableString,
  description: t.String(),
  detected_at: t.String(),
  acknowledged: t.Boolean(),
});

const SINCE_ERROR = "since: must be an ISO 8601 timestamp such as 2024-01-15T10:30:00Z";

const listQuery = strictQuery({
  scan_id: t.Optional(wholeNumber("scan_id", "query", 1, Number.MAX_SAFE_INTEGER)),
  device_id: t.Optional(wholeNumber("device_id", "query", 1, Number.MAX_SAFE_INTEGER)),
  change_type: t.Optional(oneOf(CHANGE_TYPES as readonly string[], `change_type: must be one of ${CHANGE_TYPES.join(", ")}`)),
  severity: t.Optional(oneOf(SEVERITIES, `severity: must be one of ${SEVERITIES.join(", ")}`)),
  since: t.Optional(t.String({ maxLength: 40, description: "Only changes detected at or after this ISO 8601 time (UTC when no offset)", error: SINCE_ERROR })),
  acknowledged: t.Optional(oneOf(["true", "false"], "acknowledged: must be true or false")),
  ...paging,
});

export function changeRoutes(ctx: AppContext) {
  const log = new ChangeLog(ctx.db);
  return new Elysia({ name: "argus.changes" })
    .use(authentication(ctx))
    .get(
      "/api/changes",
      ({ query, set }) => {
        let since: string | undefined;
        if (query.since !== undefined) {
          since = parseSince(query.since) ?? undefined;
          // The pattern alone cannot tell 2024-02-30 from a real day; parseSince can.
          if (since === undefined) throw new HttpError(422, `Invalid query parameter 'since': ${SINCE_ERROR.slice("since: ".length)}`);
        }
        const { items, total } = log.list({
          scan_id: query.scan_id,
          device_id: query.device_id,
          change_type: query.change_type as (typeof CHANGE_TYPES)[number] | undefined,
          severity: query.severity,
          since,
          acknowledged: query.acknowledged === undefined ? undefined : query.acknowledged === "true",
          limit: query.limit ?? 50,
          offset: query.offset ?? 0,
        });
        return page(set, items, total);
      },
      {
        query: listQuery,
        response: { 200: t.Array(change) },
        detail: { summary: "Changes, newest first, filtered; total in X-Total-Count", tags: ["changes"] },
      },
    )
    .post(
      "/api/changes/:id/acknowledge",
      ({ params }) => {
        const acknowledged = log.acknowledge(params.id);
        if (!acknowledged) throw new HttpError(404, `Change ${params.id} not found`);
        return acknowledged;
      },
      { params: idParams, query: noQuery, response: { 200: change }, detail: { summary: "Mark a change as seen; returns it (idempotent)", tags: ["changes"] } },
    );
}
