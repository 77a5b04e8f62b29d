// GET /api/sensors (a hub's sensors, SPEC §7 "Segments") and GET /api/segment (this appliance's part).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { authentication } from "./guard.ts";
import { models, ref, SegmentStatus, Sensor } from "./models.ts";
import { json } from "./openapi.ts";
import { noQuery } from "./schemas.ts";

const SENSOR_EXAMPLE = { site: "home", segment: "iot", last_heard_at: "2024-01-16T08:00:00Z", lag_seconds: 0.04, buffered: 0, dropped: 0, status: "online" };
const STATUS_EXAMPLE = { role: "sensor", site: "home", segment: "iot", connected: true, buffered: 0, dropped: 0, last_error: null };

/** This appliance's part, as GET /api/segment shows it. */
export function segmentStatus(ctx: AppContext): SegmentStatus {
  const c = ctx.config();
  const sensor = ctx.segments.sensor?.status();
  const hub = ctx.segments.hub?.status();
  return {
    role: c.role,
    site: c.site,
    segment: c.segment,
    connected: sensor?.connected ?? hub?.connected ?? false,
    buffered: sensor?.buffered ?? 0,
    dropped: sensor?.dropped ?? 0,
    last_error: sensor?.last_error ?? hub?.last_error ?? null,
  };
}

export function segmentRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.segments" })
    .use(authentication(ctx))
    .use(models())
    .get("/api/sensors", () => ctx.segments.hub?.sensors() ?? [], {
      query: noQuery,
      response: { 200: t.Array(ref(Sensor)) },
      detail: {
        summary: "Hub: every sensor heard, with its last message, lag and buffered count",
        tags: ["segments"],
        responses: { 200: json("The sensors, by site and segment; [] unless role is hub", [SENSOR_EXAMPLE]) },
      },
    })
    .get("/api/segment", () => segmentStatus(ctx), {
      query: noQuery,
      response: { 200: ref(SegmentStatus) },
      detail: {
        summary: "This appliance's role and, for a sensor or hub, its broker connection and outbox",
        tags: ["segments"],
        responses: { 200: json("Role, site, segment, connection and outbox", STATUS_EXAMPLE) },
      },
    });
}
