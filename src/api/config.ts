// /api/config (SPEC §5 "Config") and /api/schedule: the configuration in force, partial updates that
// apply at once, and the schedule they plan.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { ConfigError, EnvOverrideError } from "../config/app-config.ts";
import { CONFIG_SECTIONS, ConfigPatchSchema, ConfigViewSchema, firstProblem } from "../config/schema.ts";
import { redact } from "../config/secrets.ts";
import { authentication } from "./authentication.ts";
import { HttpError } from "./errors.ts";
import { errors } from "./responses.ts";
import { noQuery, page, paging, strictQuery } from "./schemas.ts";

const scheduleEntry = t.Object({
  profile: t.String(),
  cron: t.String(),
  enabled: t.Boolean(),
  state: t.String({ description: "scheduled | disabled | waiting_for_subnet (no subnet confirmed: nothing runs) | paused (during a restore)" }),
  next_run_at: t.Nullable(t.String({ description: "Next planned run (null unless scheduled)" })),
  last_run_at: t.Nullable(t.String({ description: "When this entry last started a scan" })),
  last_scan_id: t.Nullable(t.Integer()),
  last_skipped_at: t.Nullable(t.String({ description: "When a tick of this entry last found a scan running and was skipped" })),
});

export function configRoutes(ctx: AppContext) {
  const view = () => {
    const shown = redact(ctx.config()) as Record<string, unknown>;
    // In the schema's order, whatever order the file has.
    return { ...Object.fromEntries(Object.keys(CONFIG_SECTIONS).map((k) => [k, shown[k]])), env_overrides: ctx.envOverrides() };
  };
  return new Elysia({ name: "argus.config" })
    .use(authentication(ctx))
    .get("/api/config", view, {
      query: noQuery,
      response: { 200: ConfigViewSchema, ...errors(401) },
      detail: { summary: "The configuration in force (secrets shown as <key>_set; keys set by the environment listed in env_overrides)", tags: ["config"] },
    })
    .put(
      "/api/config",
      ({ body, actor }) => {
        if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(422, "Invalid request body: expected a JSON object of configuration keys");
        const problem = firstProblem(ConfigPatchSchema, body);
        if (problem) throw new HttpError(422, `Invalid body field '${problem.field}': ${problem.reason}`);
        let changed: string[];
        try {
          changed = ctx.applyConfig(body as Record<string, unknown>).changed;
        } catch (e) {
          if (e instanceof ConfigError) throw new HttpError(422, `Invalid body field '${e.field}': ${e.reason}`);
          if (e instanceof EnvOverrideError) throw new HttpError(409, e.message);
          throw e;
        }
        // Which keys changed, never their values: a value may hold a secret.
        if (changed.length > 0) ctx.audit.record(actor, "config_updated", { resource: "config", details: { changed } });
        return view();
      },
      {
        query: noQuery,
        response: { 200: ConfigViewSchema, ...errors(400, 401, 403, 409, 413, 415, 422) },
        detail: {
          summary: "Change the configuration: each top-level key given replaces its value; validated as a whole, saved atomically, applied at once (422 names the field and changes nothing)",
          tags: ["config"],
          requestBody: { required: true, content: { "application/json": { schema: ConfigPatchSchema } } },
        } as any,
      },
    )
    .get(
      "/api/schedule",
      ({ query, set }) => {
        const all = ctx.scheduler.entries();
        const offset = query.offset ?? 0;
        return page(set, all.slice(offset, offset + (query.limit ?? 50)), all.length);
      },
      {
        query: strictQuery(paging),
        response: { 200: t.Array(scheduleEntry), ...errors(401, 422) },
        detail: { summary: "The scheduled scans with their next and last run (idle until a subnet is confirmed)", tags: ["config"] },
      },
    );
}
