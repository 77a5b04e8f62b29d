// /api/stats and /api/trends: dashboard numbers and chart series (SPEC §4).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { InventoryStats, TREND_DAYS_MAX } from "../inventory/stats.ts";
import { authentication } from "./guard.ts";
import { DeviceTypeCount, models, ref, Stats, TrendPoint } from "./models.ts";
import { json } from "./openapi.ts";
import { noQuery, strictQuery, wholeNumber } from "./schemas.ts";

const STATS_EXAMPLE = {
  total_devices: 24,
  online_devices: 21,
  new_devices_24h: 1,
  devices_at_risk: 3,
  critical: 0,
  high: 1,
  medium: 2,
  low: 4,
  open_ports: 57,
  last_scan: { id: 12, status: "completed", profile: "normal", started_at: "2024-01-16T08:00:00Z", finished_at: "2024-01-16T08:00:04Z" },
};

export function statsRoutes(ctx: AppContext) {
  const inventory = new InventoryStats(ctx.db);
  return new Elysia({ name: "argus.stats" })
    .use(authentication(ctx))
    .use(models())
    .get("/api/stats", () => inventory.stats(), {
      query: noQuery,
      response: { 200: ref(Stats) },
      detail: { summary: "Dashboard counts (trusted devices are never counted as at risk)", tags: ["stats"], responses: { 200: json("The counts", STATS_EXAMPLE) } },
    })
    .get("/api/stats/device-types", () => inventory.deviceTypes(), {
      query: noQuery,
      response: { 200: t.Array(ref(DeviceTypeCount)) },
      detail: {
        summary: "How many devices of each guessed type (router, phone, printer, …), most common first",
        tags: ["stats"],
        responses: { 200: json("One entry per type in use, most common first (ties by name)", [{ device_type: "phone", count: 9 }, { device_type: "computer", count: 6 }, { device_type: "unknown", count: 4 }]) },
      },
    })
    .get("/api/trends", ({ query }) => inventory.trends(query.days ?? 30), {
      query: strictQuery({
        days: t.Optional(wholeNumber("days", "query", 1, TREND_DAYS_MAX, "Window in days (1–365, default 30)")),
      }),
      response: { 200: t.Array(ref(TrendPoint)) },
      detail: {
        summary: "One point per completed network scan in the window, oldest first",
        tags: ["stats"],
        responses: { 200: json("The series, oldest first", [{ scan_id: 12, started_at: "2024-01-16T08:00:00Z", devices: 21, at_risk: 3, open_ports: 57, changes: 2 }]) },
      },
    });
}
