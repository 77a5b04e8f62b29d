// /api/devices/{id}/presence and /api/presence: when devices were online (SPEC §7 "Presence").
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { parseInstant } from "../inventory/changes.ts";
import { bucketCount, DEFAULT_SPAN_MS, deviceSessions, MAX_ANSWER_BUCKETS, MAX_BUCKETS, networkPresenceInChunks, PRESENCE_BUCKETS, type PresenceBucket } from "../inventory/presence.ts";
import { toIso } from "../time.ts";
import { authentication } from "./guard.ts";
import { HttpError } from "./errors.ts";
import { DevicePresence, models, PresenceInterval, ref } from "./models.ts";
import { errors, jsonPage } from "./openapi.ts";
import { idParams, oneOf, page, paging, strictQuery, wholeNumber } from "./schemas.ts";

const TIME_ERROR = "must be an ISO 8601 timestamp such as 2024-01-15T10:30:00Z";
const time = (field: "since" | "until", description: string) => t.Optional(t.String({ maxLength: 40, description, error: `${field}: ${TIME_ERROR}` }));

const window = {
  since: time("since", "Start of the window, ISO 8601 (UTC when no offset); times are whole seconds, so a fraction rounds down"),
  until: time("until", "End of the window (exclusive), ISO 8601; a fraction rounds up to the next whole second; default now"),
};

/** One of since/until as epoch ms, its fraction kept; the pattern alone cannot tell 2024-02-30 from a real day. */
function instant(field: "since" | "until", text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const parsed = parseInstant(text);
  if (parsed === null) throw new HttpError(422, `Invalid query parameter '${field}': ${TIME_ERROR}`);
  return parsed;
}

/**
 * The window in the stored form (whole seconds). The order is checked on the instants as given, with
 * their fractions; then the window widens to the whole seconds that hold it (since down, until up),
 * so ...T00:00:00Z to ...T00:00:00.001Z is the one second that holds that millisecond.
 */
function storedWindow(sinceMs: number | undefined, untilMs: number | undefined): { since?: string; until?: string } {
  if (sinceMs !== undefined && untilMs !== undefined && sinceMs >= untilMs) throw new HttpError(422, "Invalid query parameter 'until': must be later than since");
  return {
    since: sinceMs === undefined ? undefined : toIso(Math.floor(sinceMs / 1000) * 1000),
    until: untilMs === undefined ? undefined : toIso(Math.ceil(untilMs / 1000) * 1000),
  };
}

const INTERVALS_EXAMPLE = [
  { from: "2024-01-16T07:55:00Z", to: null, source: "passive" },
  { from: "2024-01-15T17:02:00Z", to: "2024-01-15T23:40:12Z", source: "scan" },
];
const BUCKETS_EXAMPLE = [
  {
    device_id: 7,
    buckets: [
      { at: "2024-01-16T06:00:00Z", online_seconds: 0 },
      { at: "2024-01-16T07:00:00Z", online_seconds: 300 },
      { at: "2024-01-16T08:00:00Z", online_seconds: 3600 },
    ],
  },
];

export function presenceRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.presence" })
    .use(authentication(ctx))
    .use(models())
    .get(
      "/api/devices/:id/presence",
      ({ params, query, set }) => {
        const { since, until } = storedWindow(instant("since", query.since), instant("until", query.until));
        const found = deviceSessions(ctx.db, params.id, { since, until }, { limit: query.limit ?? 50, offset: query.offset ?? 0 });
        if (!found) throw new HttpError(404, `Device ${params.id} not found`);
        return page(set, found.items, found.total);
      },
      {
        params: idParams,
        query: strictQuery({ ...window, ...paging }),
        response: { 200: t.Array(ref(PresenceInterval)) },
        detail: {
          summary: "When a device was online: its intervals that overlap the window, newest first (to is null while online); total in X-Total-Count",
          tags: ["presence"],
          responses: {
            200: jsonPage("A page of online intervals, newest first", INTERVALS_EXAMPLE),
            ...errors({ 404: ["No such device", "Device 7 not found"], 422: ["A bad since or until", "Invalid query parameter 'until': must be later than since"] }),
          },
        },
      },
    )
    .get(
      "/api/presence",
      async ({ query, set }) => {
        const bucket: PresenceBucket = query.bucket ?? "hour";
        const untilMs = instant("until", query.until) ?? Math.floor(Date.now() / 1000) * 1000;
        const range = storedWindow(instant("since", query.since) ?? untilMs - DEFAULT_SPAN_MS[bucket], untilMs);
        const since = range.since!;
        const until = range.until!;
        // Bounded so that no request can ask for millions of buckets.
        const buckets = bucketCount(Date.parse(since), Date.parse(until), bucket);
        if (buckets > MAX_BUCKETS[bucket]) {
          throw new HttpError(422, `Invalid query parameter 'since': at most ${MAX_BUCKETS[bucket]} ${bucket} buckets (${bucket === "hour" ? "31 days" : "366 days"}) per request`);
        }
        // And the answer as a whole: devices × buckets, so that no request holds the appliance (or its memory) for long.
        const limit = query.limit ?? 50;
        if (limit * buckets > MAX_ANSWER_BUCKETS) {
          throw new HttpError(
            422,
            `Invalid query parameter 'limit': at most ${MAX_ANSWER_BUCKETS} buckets per answer; ${buckets} ${bucket} buckets allow a limit of at most ${Math.floor(MAX_ANSWER_BUCKETS / buckets)} (or ask for a shorter range)`,
          );
        }
        const { items, total } = await networkPresenceInChunks(ctx.db, { since, until, bucket, now: Date.now() }, { limit, offset: query.offset ?? 0 });
        return page(set, items, total);
      },
      {
        query: strictQuery({
          ...window,
          bucket: t.Optional(oneOf(PRESENCE_BUCKETS, `bucket: must be one of ${PRESENCE_BUCKETS.join(", ")}`)),
          ...paging,
          limit: t.Optional(wholeNumber("limit", "query", 1, 1000, `Devices per page (1–1000, default 50), and limit × buckets of the range at most ${MAX_ANSWER_BUCKETS}`)),
        }),
        response: { 200: t.Array(ref(DevicePresence)) },
        detail: {
          summary:
            "Online seconds per hour or day (whole UTC buckets) for each device online in the window, by device id; default the last 24 hours by hour (30 days by day); at most 31 days of hours or 366 days, and at most 50000 buckets (limit × buckets of the range) per answer; total in X-Total-Count",
          tags: ["presence"],
          responses: {
            200: jsonPage("A page of devices with their buckets, oldest bucket first", BUCKETS_EXAMPLE),
            ...errors({
              422: [
                "A bad since, until or bucket, or too many buckets: more than 31 days of hours or 366 days, or limit × buckets over 50000",
                "Invalid query parameter 'limit': at most 50000 buckets per answer; 745 hour buckets allow a limit of at most 67 (or ask for a shorter range)",
              ],
            }),
          },
        },
      },
    );
}
