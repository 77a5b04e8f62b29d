// /api/changes: what the scans noticed, newest first, and acknowledging it (SPEC §4).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { ChangeLog, parseSince } from "../inventory/changes.ts";
import { CHANGE_TYPES, SEVERITIES } from "../inventory/observation.ts";
import { authentication } from "./guard.ts";
import { HttpError } from "./errors.ts";
import { Change, models, ref } from "./models.ts";
import { errors, json, jsonPage } from "./openapi.ts";
import { idParams, noQuery, oneOf, page, paging, strictQuery, wholeNumber } from "./schemas.ts";

const CHANGE_EXAMPLE = {
  id: 31,
  scan_id: 12,
  device_id: 7,
  device_ip: "192.168.1.20",
  device_mac: "b8:27:eb:12:34:56",
  change_type: "port_opened",
  severity: "high",
  old_value: null,
  new_value: "445/tcp microsoft-ds",
  description: "Port 445/tcp (microsoft-ds) opened on 192.168.1.20",
  detected_at: "2024-01-16T08:00:00Z",
  segment: null,
  acknowledged: false,
  device_name: "Backup NAS",
};

const SINCE_ERROR = "since: must be an ISO 8601 timestamp such as 2024-01-15T10:30:00Z";

const listQuery = strictQuery({
  scan_id: t.Optional(wholeNumber("scan_id", "query", 1, Number.MAX_SAFE_INTEGER)),
  device_id: t.Optional(wholeNumber("device_id", "query", 1, Number.MAX_SAFE_INTEGER)),
  change_type: t.Optional(oneOf(CHANGE_TYPES, `change_type: must be one of ${CHANGE_TYPES.join(", ")}`)),
  severity: t.Optional(oneOf(SEVERITIES, `severity: must be one of ${SEVERITIES.join(", ")}`)),
  since: t.Optional(t.String({ maxLength: 40, description: "Only changes detected at or after this ISO 8601 time (UTC when no offset)", error: SINCE_ERROR })),
  acknowledged: t.Optional(oneOf(["true", "false"], "acknowledged: must be true or false")),
  ...paging,
});

export function changeRoutes(ctx: AppContext) {
  const log = new ChangeLog(ctx.db);
  return new Elysia({ name: "argus.changes" })
    .use(authentication(ctx))
    .use(models())
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
          change_type: query.change_type,
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
        response: { 200: t.Array(ref(Change)) },
        detail: { summary: "Changes, newest first, filtered; total in X-Total-Count", tags: ["changes"], responses: { 200: jsonPage("A page of changes, newest first", [CHANGE_EXAMPLE]) } },
      },
    )
    .post(
      "/api/changes/:id/acknowledge",
      ({ params }) => {
        const acknowledged = log.acknowledge(params.id);
        if (!acknowledged) throw new HttpError(404, `Change ${params.id} not found`);
        return acknowledged;
      },
      {
        params: idParams,
        query: noQuery,
        response: { 200: ref(Change) },
        detail: {
          summary: "Mark a change as seen; returns it (idempotent)",
          tags: ["changes"],
          responses: { 200: json("The change, acknowledged", { ...CHANGE_EXAMPLE, acknowledged: true }), ...errors({ 404: ["No such change", "Change 31 not found"] }) },
        },
      },
    );
}
