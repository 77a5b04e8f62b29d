// GET /metrics: Prometheus text format (SPEC §5). Outside /api, so the guard does not require a
// credential here; this route does: an API key only (X-API-Key or Authorization: Bearer, which is what
// a Prometheus scrape config sends). A browser session does not open it: metrics are for machines,
// and the document says so (its security names the key schemes only, not the session cookie).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { createMetrics } from "../metrics/metrics.ts";
import { authentication } from "./guard.ts";
import { notAuthenticated } from "./errors.ts";
import { errors } from "./openapi.ts";
import { noQuery } from "./schemas.ts";

const EXAMPLE = `# HELP argus_devices_total Devices in the inventory
# TYPE argus_devices_total gauge
argus_devices_total 24
# HELP argus_devices_online Devices currently online
# TYPE argus_devices_online gauge
argus_devices_online 21
# HELP argus_devices_at_risk Untrusted devices at risk, by risk level (medium and above count as at risk)
# TYPE argus_devices_at_risk gauge
argus_devices_at_risk{level="critical"} 0
argus_devices_at_risk{level="high"} 1
argus_devices_at_risk{level="medium"} 2
`;

export function metricsRoutes(ctx: AppContext) {
  let registry: ReturnType<typeof createMetrics> | null = null;
  return new Elysia({ name: "argus.metrics" })
    .use(authentication(ctx))
    .get(
      "/metrics",
      async ({ principal, set }) => {
        if (principal?.kind !== "api_key") throw notAuthenticated();
        const r = await (registry ??= createMetrics(ctx.db, ctx.feedMetrics, ctx.config().role === "hub" ? () => ctx.config().hub.offline_after_s : undefined));
        set.headers["content-type"] = r.contentType;
        return r.metrics();
      },
      {
        query: noQuery,
        response: { 200: t.String({ description: "Prometheus text exposition format 0.0.4" }) },
        detail: {
          summary: "Prometheus metrics (API key required: X-API-Key or Authorization: Bearer; a session cookie is refused)",
          tags: ["metrics"],
          // An API key only: the session cookie, which the document's global security also names, is refused here.
          security: [{ apiKey: [] }, { bearer: [] }],
          responses: {
            200: {
              description: "The metrics, `Content-Type: text/plain; version=0.0.4; charset=utf-8`",
              content: { "text/plain": { schema: { type: "string" }, example: EXAMPLE } },
            },
            ...errors({ 401: ["No API key, an invalid or revoked one, or a session cookie instead of a key", "Not authenticated"] }),
          },
        },
      },
    );
}
