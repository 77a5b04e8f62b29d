// /api/config (SPEC §5 "Config") and /api/schedule: the configuration in force, partial updates that
// apply at once, and the schedule they plan.
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { ConfigError, ConfigWriteError, EnvOverrideError } from "../config/app-config.ts";
import { describeFieldProblem } from "../config/config-error.ts";
import { log } from "../log.ts";
import { CONFIG_SECTIONS, ConfigPatchSchema, firstProblem } from "../config/schema.ts";
import { redact } from "../config/secrets.ts";
import { authentication } from "./guard.ts";
import { HttpError } from "./errors.ts";
import { Config, ConfigUpdate, models, ref, ScheduledScan } from "./models.ts";
import { errors, json, jsonPage } from "./openapi.ts";
import { noQuery, page, paging, strictQuery } from "./schemas.ts";

const SCHEDULE_EXAMPLE = [
  { profile: "quick", cron: "*/15 * * * *", enabled: true },
  { profile: "normal", cron: "30 3 * * *", enabled: true },
];
const CONFIG_EXAMPLE = {
  subnets: ["192.168.1.0/24"],
  exclude: ["192.168.1.1"],
  port_range: "home-1000",
  allow_public_ranges: false,
  interface: null,
  scan_rate: 5000,
  profiles: [],
  schedule: SCHEDULE_EXAMPLE,
  retention_days: 90,
  passive: true,
  departures: { enabled: true, always_on_grace_s: 20, normal_grace_s: 90, can_sleep_grace_s: 600, frames_per_device_per_minute: 1 },
  known_infrastructure: { gateways: [{ ip: "192.168.1.1", mac: "00:1d:0f:12:34:56" }], dhcp_servers: [{ server_id: "192.168.1.1", mac: "00:1d:0f:12:34:56" }], routers6: [{ mac: "00:1d:0f:12:34:56", ip: "fe80::21d:fff:fe12:3456" }] },
  allowed_hosts: ["argus.example.net"],
  role: "standalone",
  site: null,
  segment: null,
  hub: { url: null, username: null, password_set: false, topic_prefix: "argus", offline_after_s: 120 },
  notifications: {
    channels: [
      { name: "hooks", type: "webhook", url: "http://10.0.0.5:9000/argus", secret_set: true },
      { name: "ha", type: "mqtt", url: "mqtt://argus:***@broker.lan:1883" },
    ],
    rules: [{ change_types: ["device_added", "mac_changed_for_ip"], channels: ["hooks"] }],
    quiet_hours: { start: "23:00", end: "07:00", min_severity: "critical" },
    muted_devices: [],
  },
  sources: [
    { name: "router-leases", type: "dnsmasq_leases", path: "/var/lib/misc/dnsmasq.leases", interval_s: 60 },
    { name: "dhcpd", type: "isc_leases", path: "/var/lib/dhcp/dhcpd.leases", enabled: false },
  ],
  env_overrides: {},
};

export function configRoutes(ctx: AppContext) {
  const view = () => {
    const shown = redact(ctx.config()) as Record<string, unknown>;
    // In the schema's order, whatever order the file has.
    return { ...Object.fromEntries(Object.keys(CONFIG_SECTIONS).map((k) => [k, shown[k]])), env_overrides: ctx.envOverrides() };
  };
  return new Elysia({ name: "argus.config" })
    .use(authentication(ctx))
    .use(models())
    .get("/api/config", view, {
      query: noQuery,
      response: { 200: ref(Config) },
      detail: {
        summary: "The configuration in force (secrets shown as <key>_set; keys set by the environment listed in env_overrides)",
        tags: ["config"],
        responses: { 200: json("The configuration", CONFIG_EXAMPLE) },
      },
    })
    .put(
      "/api/config",
      ({ body, actor, request }) => {
        // `curl -d` without -H sends a form, whose parsed keys would read as unknown settings.
        if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(request.headers.get("content-type") ?? "")) {
          throw new HttpError(415, "Send the configuration as JSON with Content-Type: application/json");
        }
        if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(422, "Invalid request body: expected a JSON object of configuration keys");
        const problem = firstProblem(ConfigPatchSchema, body);
        if (problem) throw new HttpError(422, describeFieldProblem(problem));
        let changed: string[];
        try {
          changed = ctx.applyConfig(body as Record<string, unknown>).changed;
        } catch (e) {
          if (e instanceof ConfigError) throw new HttpError(422, describeFieldProblem(e));
          if (e instanceof EnvOverrideError) throw new HttpError(409, e.message);
          if (e instanceof ConfigWriteError) {
            // The path and errno go to the log; the caller learns what happened and that nothing changed.
            log.error("configuration not saved", { path: e.path, code: e.code });
            if (e.full) throw new HttpError(507, "The configuration was not saved: the disk holding the configuration file is full. Nothing was changed");
            throw new HttpError(503, "The configuration was not saved: the configuration file cannot be written (read-only or failing storage). Nothing was changed");
          }
          throw e;
        }
        // Which keys changed, never their values: a value may hold a secret.
        if (changed.length > 0) ctx.audit.record(actor, "config_updated", { resource: "config", details: { changed } });
        return view();
      },
      {
        query: noQuery,
        response: { 200: ref(Config) },
        detail: {
          summary: "Change the configuration: each top-level key given replaces its value; validated as a whole, saved atomically, applied at once (422 names the field and changes nothing)",
          tags: ["config"],
          // The body is checked by the configuration's own schema in the handler (Elysia's validator would
          // rewrite it in place), so the document names it here.
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: { $ref: "#/components/schemas/ConfigUpdate" },
                example: {
                  retention_days: 30,
                  schedule: [{ profile: "quick", cron: "0 * * * *", enabled: true }],
                  // Sent back as GET showed it: the stored webhook secret is kept.
                  notifications: { ...CONFIG_EXAMPLE.notifications, channels: [CONFIG_EXAMPLE.notifications.channels[0]] },
                },
              },
            },
          },
          responses: {
            200: json("The configuration now in force", {
              ...CONFIG_EXAMPLE,
              retention_days: 30,
              schedule: [{ profile: "quick", cron: "0 * * * *", enabled: true }],
              notifications: { ...CONFIG_EXAMPLE.notifications, channels: [CONFIG_EXAMPLE.notifications.channels[0]] },
            }),
            ...errors({
              400: ["Malformed JSON body", "Malformed request body: expected valid JSON"],
              409: ["A key that an environment variable sets (see env_overrides)", "'subnets' is set by the environment variable ARGUS_SUBNETS, which wins over the configuration file; change or unset it there"],
              413: ["Body larger than the limit", "Request body too large: the limit is 1048576 bytes"],
              415: ["Body not sent as application/json", "Content-Type must be application/json"],
              422: ["A key or value is invalid (the detail names the field); the configuration in force is unchanged", "Invalid body field 'retention_days': must be a whole number of days from 1 to 3650"],
              503: ["The configuration file cannot be written (read-only or failing storage); nothing changed", "The configuration was not saved: the configuration file cannot be written (read-only or failing storage). Nothing was changed"],
              507: ["The disk holding the configuration file is full; nothing changed", "The configuration was not saved: the disk holding the configuration file is full. Nothing was changed"],
            }),
          },
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
        response: { 200: t.Array(ref(ScheduledScan)) },
        detail: {
          summary: "The scheduled scans with their next and last run (idle until a subnet is confirmed)",
          tags: ["config"],
          responses: {
            200: jsonPage("A page of schedule entries, in the configuration's order", [
              { ...SCHEDULE_EXAMPLE[0], state: "scheduled", next_run_at: "2024-01-16T08:15:00Z", last_run_at: "2024-01-16T08:00:00Z", last_scan_id: 12, last_skipped_at: null },
              { ...SCHEDULE_EXAMPLE[1], state: "scheduled", next_run_at: "2024-01-17T03:30:00Z", last_run_at: "2024-01-16T03:30:00Z", last_scan_id: 9, last_skipped_at: "2024-01-15T03:30:00Z" },
            ]),
          },
        },
      },
    );
}
