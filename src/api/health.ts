// GET /health (public, for monitors and systemd) and GET /api/version.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { VERSION } from "../version.ts";
import { routeAccess } from "./guard.ts";
import { Health, models, ref, Version } from "./models.ts";
import { json } from "./openapi.ts";
import { noQuery } from "./schemas.ts";

export function healthRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.health" })
    .use(routeAccess)
    .use(models())
    .get(
      "/health",
      ({ set }) => {
        let db: "ok" | "error" = "ok";
        try {
          ctx.db.query("SELECT 1").get();
        } catch {
          db = "error";
        }
        if (db !== "ok") set.status = 503;
        return { status: db === "ok" ? ("healthy" as const) : ("unhealthy" as const), version: VERSION, uptime_seconds: Math.floor((Date.now() - ctx.startedAt) / 1000), db };
      },
      {
        query: noQuery,
        access: "public",
        response: { 200: ref(Health), 503: ref(Health) },
        detail: {
          summary: "Liveness and database check (no authentication)",
          tags: ["system"],
          security: [],
          responses: {
            200: json("Serving, database reachable", { status: "healthy", version: VERSION, uptime_seconds: 3600, db: "ok" }),
            503: json("The database cannot be read", { status: "unhealthy", version: VERSION, uptime_seconds: 3600, db: "error" }),
          },
        },
      },
    )
    .get(
      "/api/version",
      () => ({ version: VERSION, bun: Bun.version, platform: process.platform, arch: process.arch }),
      {
        query: noQuery,
        response: { 200: ref(Version) },
        detail: { summary: "Version of the appliance", tags: ["system"], responses: { 200: json("Versions", { version: VERSION, bun: "1.4.4", platform: "linux", arch: "arm64" }) } },
      },
    );
}
