// /api/stats and /api/trends: dashboard numbers and chart series (SPEC §4).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { InventoryStats, TREND_DAYS_MAX } from "../inventory/stats.ts";
import { authentication } from "./authentication.ts";
import { noQuery, strictQuery, wholeNumber } from "./schemas.ts";

const stats = t.Object({
  total_devices: t.Integer(),
  online_devices: t.Integer(),
  new_devices_24h: t.Integer({ description: "First seen in the last 24 hours" }),
  devices_at_risk: t.Integer({ description: "Untrusted devices at risk level medium or above" }),
  critical: t.Integer({ description: "Untrusted devices at this risk level" }),
  high: t.Integer(),
  medium: t.Integer(),
  low: t.Integer(),
  open_ports: t.Integer({ description: "Known open ports across all devices" }),
  last_scan: t.Nullable(
    t.Object({ id: t.Integer(), status: t.String(), profile: t.String(), started_at: t.String(), finished_at: t.Nullable(t.String()) }, { description: "The newest completed network scan" }),
  ),
});

const trendPoint = t.Object({ scan_id: t.Integer(), started_at: t.String(), devices: t.Integer(), at_risk: t.Integer(), open_ports: t.Integer(), changes: t.Integer() });

export function statsRoutes(ctx: AppContext) {
  const inventory = new InventoryStats(ctx.db);
  return new Elysia({ name: "argus.stats" })
    .use(authentication(ctx))
    .get("/api/stats", () => inventory.stats(), {
      query: noQuery,
      response: { 200: stats },
      detail: { summary: "Dashboard counts (trusted devices are never counted as at risk)", tags: ["stats"] },
    })
    .get("/api/stats/device-types", () => inventory.deviceTypes(), {
      query: noQuery,
      response: { 200: t.Array(t.Object({ device_type: t.String(), count: t.Integer() })) },
      detail: { summary: "How many devices of each guessed type (router, phone, printer, …), most common first", tags: ["stats"] },
    })
    .get("/api/trends", ({ query }) => inventory.trends(query.days ?? 30), {
      query: strictQuery({
        days: t.Optional(wholeNumber("days", "query", 1, TREND_DAYS_MAX, "Window in days (1–365, default 30)")),
      }),
      response: { 200: t.Array(trendPoint) },
      detail: { summary: "One point per completed network scan in the window, oldest first", tags: ["stats"] },
    });
}
