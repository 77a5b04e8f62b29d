// /api/devices and /api/zones: the inventory as the owner browses and annotates it (SPEC §4).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { DEVICE_SORTS, DEVICE_STATUSES, DeviceInventory, ZONE_MAX } from "../inventory/devices.ts";
import { LEVELS } from "../risk/score.ts";
import { authentication } from "./guard.ts";
import { HttpError } from "./errors.ts";
import { Device, DeviceDetail, DeviceUpdate, models, Port, ref, Zones } from "./models.ts";
import { errors, json, jsonPage, requestExample } from "./openapi.ts";
import { idParams, noQuery, oneOf, page, paging, strictQuery, wholeNumber } from "./schemas.ts";

const Q_MAX = 200;

/** The listing's filters and order, shared with the exports. */
export const deviceFilters = {
  status: t.Optional(oneOf(DEVICE_STATUSES, `status: must be one of ${DEVICE_STATUSES.join(", ")}`)),
  risk_level: t.Optional(oneOf(LEVELS, `risk_level: must be one of ${LEVELS.join(", ")}`)),
  is_trusted: t.Optional(oneOf(["true", "false"], "is_trusted: must be true or false")),
  zone: t.Optional(t.String({ minLength: 1, maxLength: ZONE_MAX, error: `zone: must be a zone name of 1–${ZONE_MAX} characters` })),
  q: t.Optional(t.String({ maxLength: Q_MAX, description: "Case-insensitive substring of IP, MAC, hostname, vendor, label or type", error: `q: must be at most ${Q_MAX} characters` })),
  port: t.Optional(wholeNumber("port", "query", 1, 65535, "Only devices with this port open")),
  sort: t.Optional(oneOf(DEVICE_SORTS, `sort: must be one of ${DEVICE_SORTS.join(", ")}`)),
};
const listQuery = strictQuery({ ...deviceFilters, ...paging });

const PORT_EXAMPLE = { port: 22, protocol: "tcp", service: "ssh", product: "OpenSSH", version: "9.2p1", tls: false, banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2", first_seen: "2024-01-15T10:30:00Z", last_seen: "2024-01-16T08:00:00Z" };
export const DEVICE_EXAMPLE = {
  id: 7,
  ip_address: "192.168.1.20",
  mac_address: "b8:27:eb:12:34:56",
  mac_randomized: false,
  hostname: "nas",
  hostname_source: "dhcp",
  vendor: "Raspberry Pi Foundation",
  device_type: "nas",
  device_type_source: "mdns-service",
  os_name: "Linux",
  os_source: "dhcp-fingerprint",
  model: null,
  mdns_services: ["_smb._tcp", "_ssh._tcp"],
  status: "online",
  presence_mode: "always_on",
  first_seen: "2024-01-15T10:30:00Z",
  last_seen: "2024-01-16T08:00:00Z",
  times_seen: 42,
  label: "Backup NAS",
  zone: "Servers",
  is_trusted: false,
  trust: "untrusted",
  notes: null,
  risk_level: "high",
  risk_score: 70,
  threat_summary: "SMB exposed (high)",
  open_ports: [22, 445],
};
const DETAIL_EXAMPLE = {
  ...DEVICE_EXAMPLE,
  ports: [PORT_EXAMPLE],
  threats: [{ port: 445, level: "high", description: "SMB file sharing is exposed", recommendation: "Restrict SMB to trusted hosts", cve_ids: [] }],
  ip_history: [{ ip_address: "192.168.1.20", first_seen: "2024-01-15T10:30:00Z", last_seen: "2024-01-16T08:00:00Z" }],
};
const NOT_FOUND = errors({ 404: ["No such device", "Device 7 not found"] });

export function deviceRoutes(ctx: AppContext) {
  const inventory = new DeviceInventory(ctx.db);
  const notFound = (id: number) => new HttpError(404, `Device ${id} not found`);
  return new Elysia({ name: "argus.devices" })
    .use(authentication(ctx))
    .use(models())
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
        response: { 200: t.Array(ref(Device)) },
        detail: {
          summary: "Devices, filtered and sorted (default: by IP, numerically); total in X-Total-Count",
          tags: ["devices"],
          responses: { 200: jsonPage("A page of devices", [DEVICE_EXAMPLE]) },
        },
      },
    )
    .get(
      "/api/devices/:id",
      ({ params }) => {
        const found = inventory.get(params.id);
        if (!found) throw notFound(params.id);
        return found;
      },
      {
        params: idParams,
        query: noQuery,
        response: { 200: ref(DeviceDetail) },
        detail: { summary: "One device with its ports, threats and IP history", tags: ["devices"], responses: { 200: json("The device", DETAIL_EXAMPLE), ...NOT_FOUND } },
      },
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
          ctx.feed.publishDevices([params.id], (ids) => inventory.records(ids));
        }
        return inventory.get(params.id)!;
      },
      {
        params: idParams,
        query: noQuery,
        body: ref(DeviceUpdate),
        response: { 200: ref(DeviceDetail) },
        detail: {
          summary: 'Set label, zone, trusted flag, notes or presence mode (partial; "" or null clears a text field)',
          tags: ["devices"],
          requestBody: requestExample({ label: "Backup NAS", zone: "Servers", presence_mode: "always_on" }),
          responses: { 200: json("The device as updated", DETAIL_EXAMPLE), ...NOT_FOUND },
        },
      },
    )
    .delete(
      "/api/devices/:id",
      ({ params, set, actor }) => {
        const device = inventory.get(params.id);
        if (!device || !inventory.remove(params.id)) throw notFound(params.id);
        ctx.audit.record(actor, "device_deleted", { resource: `device:${params.id}`, details: { ip_address: device.ip_address, mac_address: device.mac_address } });
        // Forgotten: Home Assistant drops its entity (its retained MQTT config is removed), live views the row.
        ctx.feed.publish({ type: "device", id: params.id, device: null });
        set.status = 204;
      },
      {
        params: idParams,
        query: noQuery,
        detail: {
          summary: "Forget a device (its ports, threats and history go with it)",
          tags: ["devices"],
          responses: { 204: { description: "Forgotten (no body)" }, ...NOT_FOUND },
        },
      },
    )
    .get(
      "/api/devices/:id/ports",
      ({ params, query, set }) => {
        const ports = inventory.ports(params.id, { limit: query.limit ?? 50, offset: query.offset ?? 0 });
        if (!ports) throw notFound(params.id);
        return page(set, ports.items, ports.total);
      },
      {
        params: idParams,
        query: strictQuery({ ...paging }),
        response: { 200: t.Array(ref(Port)) },
        detail: { summary: "A device's open ports with services, by port", tags: ["devices"], responses: { 200: jsonPage("A page of open ports", [PORT_EXAMPLE]), ...NOT_FOUND } },
      },
    )
    .get("/api/zones", () => inventory.zones(), {
      query: noQuery,
      response: { 200: ref(Zones) },
      detail: { summary: "The zones in use, sorted", tags: ["devices"], responses: { 200: json("Zone names", ["IoT", "Servers"]) } },
    });
}
