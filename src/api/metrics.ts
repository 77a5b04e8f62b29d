// GET /metrics: Prometheus text format (SPEC §5). Outside /api, so the guard does not require a
// credential here; this route does: an API key only (X-API-Key or Authorization: Bearer, which is what
// a Prometheus scrape config sends). A browser session does not open it: metrics are for machines.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { createMetrics } from "../metrics/metrics.ts";
import { authentication } from "./authentication.ts";
import { notAuthenticated } from "./errors.ts";
import { errorBody } from "./notifications.ts";
import { noQuery } from "./schemas.ts";

export function metricsRoutes(ctx: AppContext) {
  let registry: ReturnType<typeof createMetrics> | null = null;
  return new Elysia({ name: "argus.metrics" })
    .use(authentication(ctx))
    .get(
      "/metrics",
      async ({ principal, set }) => {
        if (principal?.kind !== "api_key") throw notAuthenticated();
        const r = await (registry ??= createMetrics(ctx.db));
        set.headers["content-type"] = r.contentType;
        return r.metrics();
      },
      {
        query: noQuery,
        response: { 200: t.String({ description: "Prometheus text exposition format 0.0.4" }), 401: errorBody, 422: errorBody },
        detail: {
          summary: "Prometheus metrics (API key required: X-API-Key or Authorization: Bearer)",
          tags: ["metrics"],
          security: [{ apiKey: [] }, { bearer: [] }],
        },
      },
    );
}
