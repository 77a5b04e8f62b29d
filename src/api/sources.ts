// /api/sources (SPEC §7 "Sources"): each configured source's state, and a run on demand. The sources
// themselves are entries of the configuration (`sources`, changed through PUT /api/config).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { SOURCE_NAME_PATTERN } from "../sources/config.ts";
import { SourceBusyError, UnknownSourceError } from "../sources/runner.ts";
import { authentication } from "./guard.ts";
import { HttpError } from "./errors.ts";
import { models, ref, SourceState } from "./models.ts";
import { errors, json, jsonPage } from "./openapi.ts";
import { noQuery, page, paging, strictQuery } from "./schemas.ts";

const OK_EXAMPLE = { name: "router-leases", type: "dnsmasq_leases", last_run_at: "2024-01-16T08:00:01Z", last_ok_at: "2024-01-16T08:00:01Z", status: "ok", detail: "42 hosts read, 40 devices matched or added, 1 new in 12 ms", devices: 40 };
const LIST_EXAMPLE = [
  OK_EXAMPLE,
  { name: "dhcpd", type: "isc_leases", last_run_at: "2024-01-16T08:00:02Z", last_ok_at: "2024-01-15T19:00:02Z", status: "failed", detail: "not_found: /var/lib/dhcp/dhcpd.leases does not exist", devices: 12 },
  { name: "old-pihole", type: "dnsmasq_leases", last_run_at: null, last_ok_at: null, status: "disabled", detail: "Disabled in the configuration", devices: 0 },
];

export function sourceRoutes(ctx: AppContext) {
  return new Elysia({ name: "argus.sources" })
    .use(authentication(ctx))
    .use(models())
    .get(
      "/api/sources",
      ({ query, set }) => {
        const all = ctx.sources.list();
        const offset = query.offset ?? 0;
        return page(set, all.slice(offset, offset + (query.limit ?? 50)), all.length);
      },
      {
        query: strictQuery(paging),
        response: { 200: t.Array(ref(SourceState)) },
        detail: {
          summary: "The configured sources (lease files, DHCP and DNS servers, routers) with their latest run: ok, failed (detail says why) or disabled; total in X-Total-Count",
          tags: ["sources"],
          responses: { 200: jsonPage("Every source in the configuration's order", LIST_EXAMPLE) },
        },
      },
    )
    .post(
      "/api/sources/:name/run",
      async ({ params, actor }) => {
        try {
          const state = await ctx.sources.runNow(params.name);
          ctx.audit.record(actor, "source_run", { resource: `source:${params.name}`, success: state.status === "ok", details: { type: state.type, status: state.status } });
          return state;
        } catch (e) {
          if (e instanceof UnknownSourceError) throw new HttpError(404, e.message);
          if (e instanceof SourceBusyError) throw new HttpError(409, e.message);
          throw e;
        }
      },
      {
        params: t.Object({ name: t.String({ pattern: SOURCE_NAME_PATTERN, description: "The source's name in the configuration", error: "name: must be a source name from the configuration's sources" }) }),
        query: noQuery,
        response: { 200: ref(SourceState) },
        detail: {
          summary: "Run one source now (after the one running, if any) and answer its state once the run is done: status ok, or failed with the reason (200 either way)",
          tags: ["sources"],
          responses: {
            200: json("The source's state after the run", OK_EXAMPLE),
            ...errors({
              404: ["No source of this name in the configuration", 'No source named "router" in the configuration'],
              409: ["The source is disabled, or running now", 'The source "router-leases" is running now'],
            }),
          },
        },
      },
    );
}
