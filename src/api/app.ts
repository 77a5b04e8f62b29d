// Assembles the HTTP application: cross-cutting plugins first, then one plugin per API area.
import { Elysia } from "elysia";
import { openapi } from "@elysiajs/openapi";
import type { AppContext } from "../app-context.ts";
import { VERSION } from "../version.ts";
import { notFoundPage, pageRoutes } from "../ui/pages.ts";
import { auditRoutes } from "./audit.ts";
import { changeRoutes } from "./changes.ts";
import { deviceRoutes } from "./devices.ts";
import { statsRoutes } from "./stats.ts";
import { authentication } from "./authentication.ts";
import { SESSION_COOKIE } from "./session-cookie.ts";
import { bodyParsing } from "./body.ts";
import { singleQueryValues } from "./query-keys.ts";
import { authRoutes } from "./auth.ts";
import { errorHandling } from "./errors.ts";
import { healthRoutes } from "./health.ts";
import { keyRoutes } from "./keys.ts";
import { networkRoutes } from "./network.ts";
import { scanRoutes } from "./scans.ts";
import { securityHeaders } from "./security-headers.ts";

export function createApp(ctx: AppContext) {
  const app = new Elysia({
    // Strict schemas: unknown query keys are rejected (422), not silently dropped.
    normalize: false,
  });
  return app
    .use(securityHeaders())
    .use(errorHandling(() => app.routes, notFoundPage(ctx)))
    .use(authentication(ctx))
    .use(bodyParsing(ctx.settings.maxBodyBytes))
    .use(singleQueryValues())
    .use(
      openapi({
        // The spec only: /docs is our own offline page (src/ui), not a CDN-hosted viewer.
        provider: null,
        specPath: "/openapi.json",
        exclude: { paths: ["/docs", "/openapi.json"] },
        documentation: {
          info: { title: "Argus API", version: VERSION, description: "LAN watch appliance. Authenticate with `X-API-Key: argus_…`, `Authorization: Bearer argus_…`, or the `argus_session` cookie." },
          components: {
            securitySchemes: {
              apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
              bearer: { type: "http", scheme: "bearer" },
              session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE },
            },
          },
          security: [{ apiKey: [] }, { bearer: [] }, { session: [] }],
        },
      }),
    )
    .use(healthRoutes(ctx))
    .use(authRoutes(ctx))
    .use(keyRoutes(ctx))
    .use(auditRoutes(ctx))
    .use(deviceRoutes(ctx))
    .use(changeRoutes(ctx))
    .use(statsRoutes(ctx))
    .use(scanRoutes(ctx))
    .use(networkRoutes(ctx))
    .use(pageRoutes(ctx));
}

export type App = ReturnType<typeof createApp>;
