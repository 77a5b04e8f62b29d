// /api/devices and /api/zones: the inventory as the owner browses and annotates it (SPEC §4).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { DEVICE_SORTS, DEVICE_STATUSES, DeviceInventory, LABEL_MAX, NOTES_MAX, ZONE_MAX } from "../inventory/devices.ts";
import { LEVELS } from "../risk/score.ts";
import { authentication } from "./authentication.ts";
import { HttpError } from "./errors.ts";
import { idParams, noQuery, oneOf, page, paging, strictQuery, wholeNumber } from "./schemas.ts";

const Q_MAX = 200;

const nullableString = t.Nullable(t.String());
export const device = {
  id: t.Integer(),
  ip_address: t.String(),
  mac_address: nullableString,
  mac_randomized: t.Boolean(),
  hostname: nullableString,
  vendor: nullableString,
  device_type: t.String(),
  os_name: nullableString,
  status: t.String({ description: "online | offline" }),
  first_seen: t.String(),
  last_seen: t.String(),
  times_seen: t.Integer(),
  label: nullableString,
  zone: nullableString,
  is_trusted: t.Boolean(),
  notes: nullableString,
  risk_level: t.String({ description: "none | low | medium | high | critical" }),
  risk_score: t.Integer({ description: "0–100" }),
  threat_summary: nullableString,
  open_ports: t.Array(t.Integer(), { description: "Open port numbers, ascending" }),
};
const port = t.Object({
  port: t.Integer(),
  protocol: t.String(),
  service: nullableString,
  product: nullableString,
  version: nullableString,
  tls: t.Boolean(),
  banner: nullableString,
  first_seen: t.String(),
  last_seen: t.String(),
});
const deviceDetail = t.Object({
  ...device,
  ports: t.Array(port),
  threats: t.Array(t.Object({ port: t.Integer(), level: t.String(), description: t.String(), recommendation: t.String(), cve_ids: t.Array(t.String()) })),
  ip_history: t.Array(t.Object({ ip_address: t.String(), first_seen: t.String(), last_seen: t.String() })),
});

/** The listing's filters and order, shared with the exports. */
export const deviceFilters = {
  status: t.Optional(oneOf(DEVICE_STATUSES, `status: must be one of ${DEVICE_STATUSES.join(", ")}`)),
  risk_level: t.Optional(oneOf(LEVELS, `risk_level: must be one of ${LEVELS.join(", ")}`)),
  is_trusted: t.Optional(oneOf(["true", "false"], "is_trusted: must be true or false")),
  zone: t.Optional(t.String({ minLength: 1, maxLength: ZONE_MAX, error: `zone: must be a zone name of 1–${ZONE_MAX} characters` })),
  q: t.Optional(t.String({ maxLength: Q_MAX, description: "Case-insensitive substring of IP, MAC, hostname, vendor or label", error: `q: must be at most ${Q_MAX} characters` })),
  port: t.Optional(wholeNumber("port", "query", 1, 65535, "Only devices with this port open")),
  sort: t.Optional(oneOf(DEVICE_SORTS, `sort: must be one of ${DEVICE_SORTS.join(", ")}`)),
};
const listQuery = strictQuery({ ...deviceFilters, ...paging });

// Labels and zones are one-line names shown everywhere (lists, exports, notifications): no control characters.
const ONE_LINE = "^[^\\u0000-\\u001f\\u007f]*$";
const clearable = (field: string, max: number, pattern?: string) =>
  t.Optional(
    t.Union([t.String({ maxLength: max, ...(pattern ? { pattern } : {}) }), t.Null()], {
      error: `${field}: must be a string of at most ${max} characters${pattern ? " without control characters" : ""} ("" clears it)`,
    }),
  );

const updateBody = t.Object(
  {
    label: clearable("label", LABEL_MAX, ONE_LINE),
    zone: clearable("zone", ZONE_MAX, ONE_LINE),
    is_trusted: t.Optional(t.Boolean({ error: "is_trusted: must be true or false" })),
    notes: clearable("notes", NOTES_MAX),
  },
  { additionalProperties: false },
);

export function deviceRoutes(ctx: AppContext) {
  const inventory = new DeviceInventory(ctx.db);
  const notFound = (id: number) => new HttpError(404, `Device ${id} not found`);
  return new Elysia({ name: "argus.devices" })
    .use(authentication(ctx))
    .get(
      "/api/devices",
      ({ query, set }) => {
        const { items, total } = inventory.list({
          status: query.status,
          risk_level: query.risk_level,
          is_trusted: query.is_trusted === undefined ? undefined : query.is_trusted === "true",
          zone: query.zone,
          q: query.q === "" ? undefined : query.q,
          port: query.port,
          sort: query.sort,
          limit: query.limit ?? 50,
          offset: query.offset ?? 0,
        });
        return page(set, items, total);
      },
      {
        query: listQuery,
        response: { 200: t.Array(t.Object(device)) },
        detail: { summary: "Devices, filtered and sorted (default: by IP, numerically); total in X-Total-Count", tags: ["devices"] },
      },
    )
    .get(
      "/api/devices/:id",
      ({ params }) => {
        const found = inventory.get(params.id);
        if (!found) throw notFound(params.id);
        return found;
      },
      { params: idParams, query: noQuery, response: { 200: deviceDetail }, detail: { summary: "One device with its ports, threats and IP history", tags: ["devices"] } },
    )
    .put(
      "/api/devices/:id",
      ({ params, body, actor }) => {
        const result = inventory.update(params.id, body);
        if (!result) throw notFound(params.id);
        if (Object.keys(result.changed).length > 0) {
          const who = inventory.identity(params.id);
          // Notes are free text and may hold anything; the audit trail says that they changed, not what they say.
          const changes = Object.fromEntries(
            Object.entries(result.changed).map(([field, c]) => [field, field === "notes" ? (c.new === null ? "cleared" : "updated") : c]),
          );
          ctx.audit.record(actor, "device_updated", { resource: `device:${params.id}`, details: { ip_address: who?.ip_address, mac_address: who?.mac_address, changes } });
        }
        return inventory.get(params.id)!;
      },
      {
        params: idParams,
        query: noQuery,
        body: updateBody,
        response: { 200: deviceDetail },
        detail: { summary: 'Set label, zone, trusted flag or notes (partial; "" or null clears a text field)', tags: ["devices"] },
      },
    )
    .delete(
      "/api/devices/:id",
      ({ params, set, actor }) => {
        const device = inventory.get(params.id);
        if (!device || !inventory.remove(params.id)) throw notFound(params.id);
        ctx.audit.record(actor, "device_deleted", { resource: `device:${params.id}`, details: { ip_address: device.ip_address, mac_address: device.mac_address } });
        set.status = 204;
      },
      { params: idParams, query: noQuery, detail: { summary: "Forget a device (its ports, threats and history go with it)", tags: ["devices"] } },
    )
    .get(
      "/api/devices/:id/ports",
      ({ params, query, set }) => {
        const ports = inventory.ports(params.id, { limit: query.limit ?? 50, offset: query.offset ?? 0 });
        if (!ports) throw notFound(params.id);
        return page(set, ports.items, ports.total);
      },
      { params: idParams, query: strictQuery({ ...paging }), response: { 200: t.Array(port) }, detail: { summary: "A device's open ports with services, by port", tags: ["devices"] } },
    )
    .get("/api/zones", () => inventory.zones(), {
      query: noQuery,
      response: { 200: t.Array(t.String()) },
      detail: { summary: "The zones in use, sorted", tags: ["devices"] },
    });
}
