// GET /health (public, for monitors and systemd) and GET /api/version.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { VERSION } from "../version.ts";
import { routeAccess } from "./authentication.ts";
import { noQuery } from "./schemas.ts";

export function healthRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.health" })
    .use(routeAccess)
    .get(
      "/health",
      ({ set }) => {
        let db = "ok";
        try {
          ctx.db.query("SELECT 1").get();
        } catch {
          db = "error";
        }
        if (db !== "ok") set.status = 503;
        return { status: db === "ok" ? "healthy" : "unhealthy", version: VERSION, uptime_seconds: Math.floor((Date.now() - ctx.startedAt) / 1000), db };
      },
      {
        query: noQuery,
        access: "public",
        detail: { security: [], summary: "Liveness and database check (no authentication)", tags: ["system"] },
        response: { 200: t.Object({ status: t.String(), version: t.String(), uptime_seconds: t.Integer(), db: t.String() }) },
      },
    )
    .get(
      "/api/version",
      () => ({ version: VERSION, bun: Bun.version, platform: process.platform, arch: process.arch }),
      { query: noQuery, detail: { summary: "Version of the appliance", tags: ["system"] } },
    );
}
