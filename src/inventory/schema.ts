// The inventory's shapes: a device (as listed, and in detail with its ports, threats and address
// history), the owner's edit of one, and a recorded change. The domain modules' types are the
// Static of these schemas, and the API serves them as they are (src/api/models.ts names them in
// the OpenAPI document), so the code, the document and the response validation cannot drift apart.
import { Type, type Static } from "@sinclair/typebox";
import { RiskLevel, Threat } from "../risk/schema.ts";
import { count, id, int, Ipv4, literals, named, nullable, ONE_LINE, ref, text, Timestamp } from "../schema-kit.ts";
import { CHANGE_TYPES, DEVICE_STATUSES, PRESENCE_MODES, SEVERITIES, TRUST_LEVELS } from "./enums.ts";

export const LABEL_MAX = 64;
export const ZONE_MAX = 64;
export const NOTES_MAX = 2000;

export const DeviceStatus = literals(DEVICE_STATUSES, { ...named("DeviceStatus") });
export const Trust = literals(TRUST_LEVELS, {
  ...named("Trust"),
  description: 'pending: a trusted device re-identified under a new MAC by one piece of evidence, until the owner confirms with {"is_trusted": true}',
});
export const PresenceMode = literals(PRESENCE_MODES, {
  ...named("PresenceMode"),
  description:
    "How a departure is noticed: normal (probed after 90 s of silence; gone within about two minutes, info), always_on (probed after 20 s; gone within 30 s, warning), can_sleep (probed after 10 minutes, so a dozing phone is not reported; info)",
});
export const ChangeType = literals(CHANGE_TYPES, { ...named("ChangeType"), description: "What a scan or the passive watch noticed" });
export const Severity = literals(SEVERITIES, { ...named("Severity") });

// ---- devices ----------------------------------------------------------------------------------

const deviceFields = {
  id: id(),
  ip_address: Ipv4("Primary IPv4 address"),
  mac_address: text("Lower-case, colon separated; null when no MAC is knowable (beyond a router)"),
  mac_randomized: Type.Boolean({ description: "Locally administered (randomised) MAC" }),
  hostname: text(),
  hostname_source: text("Evidence of the hostname: dhcp | mdns | dns | netbios"),
  vendor: text("From the IEEE registry"),
  device_type: Type.String({ description: "router, phone, printer, nas, tv, iot, computer, … or unknown" }),
  device_type_source: text("Evidence of the type: mdns-model | dhcp-fingerprint | mdns-service | scan"),
  os_name: text(),
  os_source: text("Evidence of the OS family"),
  model: text("Model announced over mDNS (_device-info)"),
  mdns_services: Type.Array(Type.String(), { description: "Service types announced over mDNS" }),
  status: ref(DeviceStatus),
  presence_mode: ref(PresenceMode),
  first_seen: Timestamp(),
  last_seen: Timestamp(),
  times_seen: count(),
  label: text(),
  zone: text(),
  is_trusted: Type.Boolean({ description: 'trust == "trusted"' }),
  trust: ref(Trust),
  notes: text(),
  risk_level: ref(RiskLevel),
  risk_score: int("0–100", { minimum: 0, maximum: 100 }),
  threat_summary: text(),
  open_ports: Type.Array(int(undefined, { minimum: 1, maximum: 65535 }), { description: "Open port numbers, ascending" }),
};

/** The one device schema; every other record of a device (notifications, MQTT) is a Pick or Omit of it. */
export const Device = Type.Object(deviceFields, { ...named("Device") });
export type Device = Static<typeof Device>;

export const Port = Type.Object(
  {
    port: int(undefined, { minimum: 1, maximum: 65535 }),
    protocol: literals(["tcp", "udp"] as const),
    service: text("Service name, e.g. ssh"),
    product: text(),
    version: text(),
    tls: Type.Boolean(),
    banner: text(),
    first_seen: Timestamp(),
    last_seen: Timestamp(),
  },
  { ...named("Port"), description: "An open port and the service found on it" },
);
export type Port = Static<typeof Port>;

export const AddressHistory = Type.Object({ ip_address: Ipv4(), first_seen: Timestamp(), last_seen: Timestamp() }, { ...named("AddressHistory") });
export type AddressHistory = Static<typeof AddressHistory>;

export const DeviceDetail = Type.Object(
  { ...deviceFields, ports: Type.Array(ref(Port)), threats: Type.Array(ref(Threat), { description: "Worst first" }), ip_history: Type.Array(ref(AddressHistory)) },
  { ...named("DeviceDetail"), description: "A device with its ports, threats and IP history" },
);
export type DeviceDetail = Static<typeof DeviceDetail>;

export const Zones = Type.Array(Type.String(), { ...named("Zones"), description: "The zone names in use, sorted" });

// Labels and zones are one-line names shown everywhere (lists, exports, notifications), like key names.
const clearable = (field: string, max: number, pattern?: string) =>
  Type.Optional(
    Type.Union([Type.String({ maxLength: max, ...(pattern ? { pattern } : {}) }), Type.Null()], {
      error: `${field}: must be a string of at most ${max} characters${pattern ? " without control characters" : ""} ("" clears it)`,
    }),
  );

export const DeviceUpdate = Type.Object(
  {
    label: clearable("label", LABEL_MAX, ONE_LINE),
    zone: clearable("zone", ZONE_MAX, ONE_LINE),
    is_trusted: Type.Optional(Type.Boolean({ error: "is_trusted: must be true or false" })),
    notes: clearable("notes", NOTES_MAX),
    presence_mode: Type.Optional(literals(PRESENCE_MODES, { error: `presence_mode: must be one of ${PRESENCE_MODES.join(", ")}` })),
  },
  { ...named("DeviceUpdate"), additionalProperties: false, description: 'Partial: only the fields given change; "" or null clears a text field' },
);
export type DeviceUpdate = Static<typeof DeviceUpdate>;

// ---- changes ----------------------------------------------------------------------------------

export const Change = Type.Object(
  {
    id: id(),
    scan_id: nullable(id(), "The scan that noticed it"),
    device_id: nullable(id(), "null once the device has been deleted"),
    device_ip: text(),
    device_mac: text(),
    change_type: ref(ChangeType),
    severity: ref(Severity),
    old_value: text(),
    new_value: text(),
    description: Type.String(),
    detected_at: Timestamp(),
    acknowledged: Type.Boolean(),
  },
  { ...named("Change") },
);
export type Change = Static<typeof Change>;
