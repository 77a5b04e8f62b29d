// /api/devices and /api/zones: the inventory as the owner browses and annotates it (SPEC §4).
import { Elysia, t } from "elysia";
import type { AppContext } from "../app-context.ts";
import { DEVICE_SORTS, DEVICE_STATUSES, DeviceInventory, ZONE_MAX } from "../inventory/devices.ts";
import { MacError, mergeDevices, splitMac } from "../inventory/macs.ts";
import { LEVELS } from "../risk/score.ts";
import { wake, WakeError } from "../net/wake.ts";
import { WakeLimit } from "../net/wake-limit.ts";
import { authentication } from "./guard.ts";
import { HttpError } from "./errors.ts";
import { Device, DeviceBulk, DeviceBulkResult, DeviceDetail, DeviceMerge, DeviceSplit, DeviceSplitResult, DeviceUpdate, models, Port, ref, WakeSent, Zones } from "./models.ts";
import { errors, json, jsonPage, requestExample } from "./openapi.ts";
import { idParams, noQuery, oneOf, page, paging, strictQuery, wholeNumber } from "./schemas.ts";

const Q_MAX = 200;

/** The listing's filters and order, shared with the exports. */
export const deviceFilters = {
  status: t.Optional(oneOf(DEVICE_STATUSES, `status: must be one of ${DEVICE_STATUSES.join(", ")}`)),
  risk_level: t.Optional(oneOf(LEVELS, `risk_level: must be one of ${LEVELS.join(", ")}`)),
  is_trusted: t.Optional(oneOf(["true", "false"], "is_trusted: must be true or false")),
  zone: t.Optional(t.String({ minLength: 1, maxLength: ZONE_MAX, error: `zone: must be a zone name of 1–${ZONE_MAX} characters` })),
  segment: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "Only devices last seen on this segment (a hub)", error: "segment: must be a segment name of 1–64 characters" })),
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
  device_type_evidence: "announces _smb._tcp",
  icon: null,
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
  notify_on: ["left", "port_opened"],
  segment: null,
  macs: [{ mac: "b8:27:eb:12:34:56", randomized: false, first_seen: "2024-01-15T10:30:00Z", last_seen: "2024-01-16T08:00:00Z" }],
  addresses: [
    { address: "192.168.1.20", family: 4, scope: "private", mac: "b8:27:eb:12:34:56", first_seen: "2024-01-15T10:30:00Z", last_seen: "2024-01-16T08:00:00Z", source: "inventory" },
    { address: "fd12:3456:789a::ba27:ebff:fe12:3456", family: 6, scope: "ula", mac: "b8:27:eb:12:34:56", first_seen: "2024-01-15T10:30:04Z", last_seen: "2024-01-16T08:00:01Z", source: "sweep" },
    { address: "fe80::ba27:ebff:fe12:3456", family: 6, scope: "link", mac: "b8:27:eb:12:34:56", first_seen: "2024-01-15T10:31:02Z", last_seen: "2024-01-16T07:58:40Z", source: "ndp" },
  ],
};
const DETAIL_EXAMPLE = {
  ...DEVICE_EXAMPLE,
  ports: [PORT_EXAMPLE],
  threats: [{ port: 445, level: "high", description: "SMB file sharing is exposed", recommendation: "Restrict SMB to trusted hosts", cve_ids: [] }],
  ip_history: [{ ip_address: "192.168.1.20", first_seen: "2024-01-15T10:30:00Z", last_seen: "2024-01-16T08:00:00Z" }],
  names: [
    { name: "nas", source: "dhcp", last_seen: "2024-01-16T08:00:00Z" },
    { name: "nas", source: "dnsmasq_leases", last_seen: "2024-01-16T07:59:00Z" },
    { name: "DiskStation", source: "mdns", last_seen: "2024-01-16T07:50:12Z" },
  ],
  mac_source: null,
  attached_to: "switch Core port 7",
  attached_source: "unifi",
  attached_at: "2024-01-16T07:59:00Z",
  ports_known: true,
  ports_scanned_at: "2024-01-16T03:34:10Z",
};
const NOT_FOUND = errors({ 404: ["No such device", "Device 7 not found"] });
const MERGED_EXAMPLE = {
  ...DETAIL_EXAMPLE,
  macs: [...DEVICE_EXAMPLE.macs, { mac: "b8:27:eb:65:43:21", randomized: false, first_seen: "2024-01-15T11:00:00Z", last_seen: "2024-01-16T07:55:00Z" }],
};
/** A merge or split refused by the domain: unknown device (404), else invalid (422). */
const macError = (e: unknown): never => {
  if (e instanceof MacError) throw new HttpError(e.kind === "not_found" ? 404 : 422, e.message);
  throw e;
};

export function deviceRoutes(ctx: AppContext) {
  const inventory = new DeviceInventory(ctx.db);
  const wakeLimit = new WakeLimit();
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
          segment: query.segment,
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
          summary:
            'Set label, zone, trusted flag, notes, type, icon, presence mode or per-device alerts (partial; "" or null clears a text field, null returns type and icon to automatic). notify_on lists "left", "returned", "port_opened": each such change of this device goes to every enabled channel, whatever the rules\' severities, unless the device is in notifications.muted_devices; [] for none',
          description:
            'The owner\'s `device_type` and `icon` are kept apart from the automatic guess: no scan or passive sighting overwrites them, and the device then reads `"device_type_source": "owner"`. `null` returns to the automatic type, which scans kept up to date meanwhile.',
          tags: ["devices"],
          requestBody: requestExample({ label: "Backup NAS", zone: "Servers", device_type: "nas", icon: "nas", notify_on: ["left", "port_opened"], presence_mode: "always_on" }),
          responses: {
            200: json("The device as updated", DETAIL_EXAMPLE),
            ...NOT_FOUND,
            ...errors({ 422: ["A field is invalid (the detail names it); nothing changed", "Invalid body field 'notify_on': must be a list of distinct values from left, returned, port_opened ([] for none)"] }),
          },
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
        ctx.feed.publish({ type: "device", id: params.id, device: null, forgotten_mac: device.mac_address });
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
    .post(
      "/api/devices/bulk",
      ({ body, actor }) => {
        if (body.action === "zone" && body.zone === undefined) throw new HttpError(422, 'zone: required for the action "zone" ("" or null clears it)');
        if (body.action !== "zone" && body.zone !== undefined) throw new HttpError(422, 'zone: only for the action "zone"');
        const zone = body.zone?.trim() || null;
        const { done, skipped } = inventory.bulk(body.ids, body.action, zone);
        // Audited like single edits: one entry per device, marked as part of a bulk action.
        for (const d of done) {
          const resource = `device:${d.id}`;
          const who = { ip_address: d.ip_address, mac_address: d.mac_address, bulk: true };
          if (body.action === "forget") ctx.audit.record(actor, "device_deleted", { resource, details: who });
          else if (Object.keys(d.changed).length > 0) ctx.audit.record(actor, "device_updated", { resource, details: { ...who, changes: d.changed } });
        }
        if (body.action === "forget") for (const d of done) ctx.feed.publish({ type: "device", id: d.id, device: null, forgotten_mac: d.mac_address });
        else {
          const changed = done.filter((d) => Object.keys(d.changed).length > 0).map((d) => d.id);
          if (changed.length > 0) ctx.feed.publishDevices(changed, (ids) => inventory.records(ids));
        }
        return { action: body.action, done: done.map((d) => d.id), skipped };
      },
      {
        query: noQuery,
        body: ref(DeviceBulk),
        response: { 200: ref(DeviceBulkResult) },
        detail: {
          summary: "One action on several devices: trust (approve), set the zone, or forget; ids of no device are skipped",
          tags: ["devices"],
          requestBody: requestExample({ ids: [7, 8, 12], action: "trust" }),
          responses: {
            200: json("What was done, and the ids of no device", { action: "trust", done: [7, 8], skipped: [12] }),
            ...errors({ 422: ["Invalid ids, action or zone", 'zone: required for the action "zone" ("" or null clears it)'] }),
          },
        },
      },
    )
    .post(
      "/api/devices/:id/wake",
      async ({ params, actor }) => {
        const who = inventory.identity(params.id);
        if (!who) throw notFound(params.id);
        const { wait, token } = wakeLimit.take(params.id);
        if (wait > 0) throw new HttpError(429, `Too many wake requests; try again in ${wait} ${wait === 1 ? "second" : "seconds"}`, { "retry-after": String(wait) });
        try {
          const sent = await wake(who);
          ctx.audit.record(actor, "device_wake_sent", { resource: `device:${params.id}`, details: { ip_address: who.ip_address, ...sent } });
          return sent;
        } catch (e) {
          wakeLimit.giveBack(params.id, token);
          if (!(e instanceof WakeError)) throw e;
          ctx.audit.record(actor, "device_wake_sent", { resource: `device:${params.id}`, success: false, details: { ip_address: who.ip_address, mac_address: who.mac_address, reason: e.message } });
          throw new HttpError(409, e.message);
        }
      },
      {
        params: idParams,
        query: noQuery,
        response: { 200: ref(WakeSent) },
        detail: {
          summary: "Wake the device: a Wake-on-LAN magic packet, UDP broadcast to port 9 on its subnet from the interface attached to it",
          tags: ["devices"],
          responses: {
            200: json("The magic packet was sent (whether the device wakes, its next sighting tells)", { mac_address: "b8:27:eb:12:34:56", interface: "eth0", broadcast: "192.168.1.255", port: 9 }),
            ...errors({
              404: ["No such device", "Device 7 not found"],
              409: [
                "No MAC is known, no interface is attached to its subnet, or the send failed",
                "No interface of this appliance is attached to the subnet of 10.9.0.5: a magic packet is only sent on a directly attached Ethernet subnet",
              ],
              429: [
                "A magic packet was sent to this device less than 5 seconds ago, or 30 were sent in the last minute; `Retry-After` says when to try again",
                "Too many wake requests; try again in 4 seconds",
              ],
            }),
          },
        },
      },
    )
    .post(
      "/api/devices/:id/merge",
      ({ params, body, actor }) => {
        const merged = (() => {
          try {
            return mergeDevices(ctx.db, params.id, body.other_id);
          } catch (e) {
            return macError(e);
          }
        })();
        ctx.audit.record(actor, "device_merged", {
          resource: `device:${params.id}`,
          details: { mac_address: merged.mac_address, other_id: body.other_id, other_mac: merged.other_mac, other_ip: merged.other_ip },
        });
        // The other device is gone from every view; the survivor shows its MACs and history.
        ctx.feed.publish({ type: "device", id: body.other_id, device: null });
        ctx.feed.publishDevices([params.id], (ids) => inventory.records(ids));
        return inventory.get(params.id)!;
      },
      {
        params: idParams,
        query: noQuery,
        body: ref(DeviceMerge),
        response: { 200: ref(DeviceDetail) },
        detail: {
          summary: "Make one device of two (one machine with several interfaces): the other's MACs, address history, changes and presence move here, and its id is gone",
          description:
            "This device keeps its primary MAC, names, ports and the owner's fields; the other device is deleted (its ports are found again by the next scan). A sighting of any of the MACs then updates this device. `split` undoes it.",
          tags: ["devices"],
          requestBody: requestExample({ other_id: 8 }),
          responses: {
            200: json("The merged device", MERGED_EXAMPLE),
            ...errors({
              404: ["This device or the other is unknown", "Device 8 not found"],
              422: ["Merging a device with itself, or an invalid body", "A device cannot be merged with itself"],
            }),
          },
        },
      },
    )
    .post(
      "/api/devices/:id/split",
      ({ params, body, actor }) => {
        const mac = body.mac.toLowerCase();
        const split = (() => {
          try {
            return splitMac(ctx.db, params.id, mac);
          } catch (e) {
            return macError(e);
          }
        })();
        ctx.audit.record(actor, "device_split", { resource: `device:${params.id}`, details: { mac_address: split.primary, split_mac: mac, new_id: split.new_id } });
        ctx.feed.publishDevices([params.id, split.new_id], (ids) => inventory.records(ids));
        return { device: inventory.get(params.id)!, new_device: inventory.get(split.new_id)! };
      },
      {
        params: idParams,
        query: noQuery,
        body: ref(DeviceSplit),
        response: { 200: ref(DeviceSplitResult) },
        detail: {
          summary: "Make one of the device's MACs a device of its own again (undoes a merge); the history stays with this device",
          description:
            "The new device (a new id) is offline until that MAC is next seen, at the address last recorded for it. Splitting off the primary MAC makes the latest seen other MAC primary.",
          tags: ["devices"],
          requestBody: requestExample({ mac: "b8:27:eb:65:43:21" }),
          responses: {
            200: json("The device, and the new device with the MAC", {
              device: DETAIL_EXAMPLE,
              new_device: {
                ...DETAIL_EXAMPLE, id: 31, mac_address: "b8:27:eb:65:43:21", macs: [MERGED_EXAMPLE.macs[1]], status: "offline", hostname: null, label: null, zone: null,
                ports: [], threats: [], ip_history: [], open_ports: [], times_seen: 0, notify_on: [], presence_mode: "normal", risk_level: "none", risk_score: 0, threat_summary: null,
              },
            }),
            ...NOT_FOUND,
            ...errors({ 422: ["The MAC is not one of the device's, or its only one", "mac: b8:27:eb:65:43:21 is the device's only MAC; there is nothing to split"] }),
          },
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
