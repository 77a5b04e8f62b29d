// Assembles the HTTP application: cross-cutting plugins first, then one plugin per API area.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import { VERSION } from "../version.ts";
import { notFoundPage, pageRoutes } from "../ui/pages.ts";
import { auditRoutes } from "./audit.ts";
import { changeRoutes } from "./changes.ts";
import { eventRoutes } from "./events.ts";
import { configRoutes } from "./config.ts";
import { maintenanceRoutes } from "./maintenance.ts";
import { deviceRoutes } from "./devices.ts";
import { statsRoutes } from "./stats.ts";
import { authentication, bindRouteTable } from "./guard.ts";
import { models } from "./models.ts";
import { apiDocument } from "./openapi.ts";
import { bodyParsing } from "./body.ts";
import { singleQueryValues } from "./query-keys.ts";
import { authRoutes } from "./session-routes.ts";
import { errorHandling } from "./errors.ts";
import { healthRoutes } from "./health.ts";
import { hostCheck } from "./host-check.ts";
import { keyRoutes } from "./keys.ts";
import { metricsRoutes } from "./metrics.ts";
import { networkRoutes } from "./network.ts";
import { notificationRoutes } from "./notifications.ts";
import { passiveRoutes } from "./passive.ts";
import { segmentRoutes } from "./segments.ts";
import { presenceRoutes } from "./presence.ts";
import { scanRoutes } from "./scans.ts";
import { securityHeaders } from "./security-headers.ts";
import { sourceRoutes } from "./sources.ts";

export function createApp(ctx: AppContext) {
  const app = new Elysia({
    // Strict schemas: unknown query keys are rejected (422), not silently dropped.
    normalize: false,
  });
  app
    .use(securityHeaders())
    .use(errorHandling(() => app.routes, notFoundPage(ctx)))
    .use(authentication(ctx))
    // After the guard's Host syntax check (400), before routing: a foreign name is a 421.
    .use(hostCheck(ctx))
    .use(bodyParsing(ctx.settings.maxBodyBytes))
    .use(singleQueryValues())
    .use(models())
    // The document only: /docs is our own offline page (src/ui), not a CDN-hosted viewer.
    .use(
      apiDocument(app, {
        title: "Argus API",
        version: VERSION,
        description:
          "LAN watch appliance. Authenticate with `X-API-Key: argus_…` (recommended), `Authorization: Bearer argus_…`, or the `argus_session` cookie. " +
          "Every error is JSON `{\"detail\": \"…\"}`. Lists take `limit` (1–1000, default 50) and `offset`, answer a plain array and put the total in `X-Total-Count`.",
      }),
    )
    .use(healthRoutes(ctx))
    .use(authRoutes(ctx))
    .use(keyRoutes(ctx))
    .use(auditRoutes(ctx))
    .use(deviceRoutes(ctx))
    .use(presenceRoutes(ctx))
    .use(changeRoutes(ctx))
    .use(statsRoutes(ctx))
    .use(scanRoutes(ctx))
    .use(eventRoutes(ctx))
    .use(networkRoutes(ctx))
    .use(notificationRoutes(ctx))
    .use(metricsRoutes(ctx))
    .use(passiveRoutes(ctx))
    .use(sourceRoutes(ctx))
    .use(segmentRoutes(ctx))
    .use(configRoutes(ctx))
    .use(maintenanceRoutes(ctx))
    .use(pageRoutes(ctx));
  // Every route is registered: from now on the guard knows which ones were declared public.
  bindRouteTable(ctx, app.routes);
  return app;
}

export type App = ReturnType<typeof createApp>;
