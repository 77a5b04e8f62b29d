// GET /api/sensors (a hub's sensors, SPEC §7 "Segments") and GET /api/segment (this appliance's part).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { ProfileError } from "../portscan/profiles.ts";
import { checkScanProfile } from "../segments/commands.ts";
import { HttpError } from "./errors.ts";
import { authentication } from "./guard.ts";
import { models, ref, SegmentStatus, Sensor, SensorScanRequested } from "./models.ts";
import { errors, json } from "./openapi.ts";
import { noQuery, strictQuery } from "./schemas.ts";

const NAME = "^[A-Za-z0-9_-]{1,64}$";
const sensorParams = t.Object({
  site: t.String({ pattern: NAME, error: "site: must be a site name" }),
  segment: t.String({ pattern: NAME, error: "segment: must be a segment name" }),
});
const SCAN_COMMAND_EXAMPLE = { command_id: "9f2c4e1a7b3d5f60", site: "home", segment: "iot", profile: "quick" };

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
    .post(
      "/api/sensors/:site/:segment/scan",
      async ({ params, query, actor, set }) => {
        const hub = ctx.segments.hub;
        if (!hub?.sensors().some((s) => s.site === params.site && s.segment === params.segment)) throw new HttpError(404, `Sensor ${params.site}/${params.segment} not found`);
        const profile = query.profile ?? "quick";
        try {
          checkScanProfile(profile, ctx.config());
        } catch (e) {
          if (e instanceof ProfileError) throw new HttpError(422, `Invalid query parameter '${e.field}': ${e.reason}`);
          throw e;
        }
        const cmd = await hub.commandScan(params.site, params.segment, profile);
        if (!cmd) throw new HttpError(409, "The hub is not connected to the broker");
        ctx.audit.record(actor, "sensor_scan_requested", { resource: `sensor:${params.site}/${params.segment}`, details: { profile, command_id: cmd.command_id } });
        set.status = 202;
        return { command_id: cmd.command_id, site: params.site, segment: params.segment, profile };
      },
      {
        params: sensorParams,
        query: strictQuery({ profile: t.Optional(t.String({ pattern: "^[A-Za-z0-9_-]{1,32}$", description: "quick (default) | normal | intensive | a custom profile of the sensor", error: "profile: must be a profile name" })) }),
        response: { 202: ref(SensorScanRequested) },
        detail: {
          summary: "Hub: ask a sensor to scan its segment (over the broker; the sensor runs and audits it, or refuses a stale one)",
          tags: ["segments"],
          responses: {
            202: json("Sent to the broker (QoS 1): the sensor starts the scan when it receives it; its scans and audit log show it", SCAN_COMMAND_EXAMPLE),
            ...errors({
              404: ["No such sensor (never heard by this hub, or not a hub)", "Sensor home/iot not found"],
              409: ["The hub is not connected to the broker", "The hub is not connected to the broker"],
              422: ["A profile the hub does not know (built-in or custom in its configuration)", `Invalid query parameter 'profile': unknown profile "bogus" (known: quick, normal, intensive)`],
            }),
          },
        },
      },
    )
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
