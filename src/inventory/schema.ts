// The inventory's shapes: a device (as listed, and in detail with its ports, threats and address
// history), the owner's edit of one, and a recorded change. The domain modules' types are the
// Static of these schemas, and the API serves them as they are (src/api/models.ts names them in
// the OpenAPI document), so the code, the document and the response validation cannot drift apart.
import { Type, type Static } from "@sinclair/typebox";
import { RiskLevel, Threat } from "../risk/schema.ts";
import { count, id, int, Ipv4, literals, named, nullable, ONE_LINE, ref, text, Timestamp } from "../schema-kit.ts";
import { CHANGE_TYPES, DEVICE_ICONS, DEVICE_STATUSES, DEVICE_TYPES, NOTIFY_ON_EVENTS, PRESENCE_MODES, SEVERITIES, TRUST_LEVELS } from "./enums.ts";

export const LABEL_MAX = 64;
export const ZONE_MAX = 64;
export const NOTES_MAX = 2000;

export const DeviceStatus = literals(DEVICE_STATUSES, { ...named("DeviceStatus") });
export const Trust = literals(TRUST_LEVELS, {
  ...named("Trust"),
  description: 'pending: a trusted device re-identified under a new MAC by one piece of evidence, until the owner confirms with {"is_trusted": true}',
});
export const DeviceType = literals(DEVICE_TYPES, { ...named("DeviceType"), description: "What kind of device it is" });
export const DeviceIcon = literals(DEVICE_ICONS, { ...named("DeviceIcon"), description: "The icon shown for a device: one per device type" });
export const PresenceMode = literals(PRESENCE_MODES, {
  ...named("PresenceMode"),
  description:
    "How a departure is noticed: normal (probed after 90 s of silence; gone within about two minutes, info), always_on (probed after 20 s; gone within 30 s, warning), can_sleep (probed after 10 minutes, so a dozing phone is not reported; info)",
});
export const ChangeType = literals(CHANGE_TYPES, { ...named("ChangeType"), description: "What a scan or the passive watch noticed" });
export const Severity = literals(SEVERITIES, { ...named("Severity") });
export const NotifyOnEvent = literals(NOTIFY_ON_EVENTS, {
  ...named("NotifyOnEvent"),
  description: "left: it goes offline (device_removed); returned: it is seen again (device_returned); port_opened: a new open port",
});

// ---- devices ----------------------------------------------------------------------------------

export const DeviceMac = Type.Object(
  {
    mac: Type.String({ description: "Lower-case, colon separated" }),
    randomized: Type.Boolean({ description: "Locally administered (randomised) MAC" }),
    first_seen: Timestamp(),
    last_seen: Timestamp(),
  },
  { ...named("DeviceMac"), description: "One of a device's interfaces" },
);
export type DeviceMac = Static<typeof DeviceMac>;

export const DeviceAddress = Type.Object(
  {
    address: Type.String({ description: "IPv4 dotted quad, or IPv6 in RFC 5952 text", examples: ["192.168.1.20", "fe80::1c2a:3bff:fe4d:5e6f"] }),
    family: Type.Integer({ enum: [4, 6], description: "4 or 6" }),
    scope: literals(["global", "ula", "link", "private"] as const, { description: "IPv6: fe80::/10 link, fc00::/7 ula, 2000::/3 global. IPv4: RFC 1918 private, 169.254/16 link, else global" }),
    mac: nullable(Type.String(), "The MAC the address was heard from (IPv6: the Ethernet source of the frame that spoke for it); IPv4: the interface that answered for it last (history from before schema 28: the device's primary MAC then)"),
    first_seen: Timestamp(),
    last_seen: Timestamp(),
    source: literals(["inventory", "ndp", "dhcpv6", "mdns", "sweep"] as const, {
      description:
        "ndp, dhcpv6, mdns: the source address of the device's own IPv6 neighbour discovery, DHCPv6 or mDNS frame (from its own MAC); sweep: the device answered a sweep's ICMPv6 echo or neighbour solicitation; inventory: an IPv4 address scans or passive sightings recorded",
    }),
  },
  { ...named("DeviceAddress"), description: "One IP address of a device" },
);
export type DeviceAddress = Static<typeof DeviceAddress>;

const deviceFields = {
  id: id(),
  ip_address: Ipv4("Primary IPv4 address"),
  mac_address: text("Lower-case, colon separated; null when no MAC is knowable (beyond a router)"),
  mac_randomized: Type.Boolean({ description: "Locally administered (randomised) MAC" }),
  addresses: Type.Array(ref(DeviceAddress), {
    description: "IPv4 (the history) and IPv6 addresses (the newest 32 heard per device, since privacy addresses rotate), most recently seen first",
  }),
  macs: Type.Array(ref(DeviceMac), {
    description: "Every MAC the device is known by (several interfaces, merged by the owner): the primary mac_address first, then the latest seen; [] without a MAC",
  }),
  hostname: text(),
  hostname_source: text("Evidence of the hostname: dhcp | mdns | dns | netbios"),
  vendor: text("From the IEEE registry"),
  device_type: Type.String({ description: `The owner's type if set, else the automatic guess: ${DEVICE_TYPES.join(", ")}` }),
  device_type_source: text("Evidence of the type: owner (set by the owner) | mdns-model | dhcp-fingerprint | mdns-service | gateway | dhcp-server | scan"),
  device_type_evidence: text('What decided the automatic type, e.g. "RTSP port 554 open"; null when the owner set it'),
  icon: nullable(ref(DeviceIcon), "The icon the owner chose; null: the type's own"),
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
  notify_on: Type.Array(ref(NotifyOnEvent), { description: "Per-device alerts: sent to every enabled channel whatever the rules' severities (unless the device is muted)" }),
  segment: text("The segment the device was last seen on (a hub's inventory, from its sensors); null when standalone"),
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


export const DeviceName = Type.Object(
  {
    name: Type.String(),
    source: Type.String({ description: "Where the name came from: dhcp (heard on the wire), mdns, dns, netbios, or a configured source's type (dnsmasq_leases, isc_leases, …)" }),
    last_seen: Timestamp("When this source last gave this name"),
  },
  { ...named("DeviceName"), description: "One name a device goes by, with its source" },
);
export type DeviceName = Static<typeof DeviceName>;

export const DeviceDetail = Type.Object(
  {
    ...deviceFields,
    ports: Type.Array(ref(Port)),
    threats: Type.Array(ref(Threat), { description: "Worst first" }),
    ip_history: Type.Array(ref(AddressHistory)),
    names: Type.Array(ref(DeviceName), {
      description: "Every name the device goes by, each with its source, most recently seen first (at most 16); `hostname` is the one the evidence ranking chose",
    }),
    mac_source: text('The configured source type that gave mac_address, e.g. "snmp" for a host on a routed VLAN read from the router\'s ARP table; null when heard on the wire'),
    attached_to: text('Where a source last said the device is attached: "AP Living room", "switch Core port 7" (UniFi), the router interface of its ARP entry (SNMP); null when no source said'),
    attached_source: text("The source type that said attached_to (unifi, snmp, opnsense)"),
    attached_at: nullable(Timestamp(), "When a source run last said attached_to"),
    ports_known: Type.Boolean({ description: "Whether a port scan (normal, intensive or a custom profile with ports) has covered the device; a quick scan only finds devices" }),
    ports_scanned_at: nullable(Timestamp(), "When the latest completed scan that probed ports finished with the device among its hosts; null: none on record"),
  },
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
    device_type: Type.Optional(
      Type.Union([ref(DeviceType), Type.Null()], {
        description: "The owner's type, which no scan or sighting overwrites; null returns to the automatic guess",
        error: `device_type: must be one of ${DEVICE_TYPES.join(", ")}, or null for automatic`,
      }),
    ),
    icon: Type.Optional(
      Type.Union([ref(DeviceIcon), Type.Null()], {
        description: "The icon to show; null shows the type's own",
        error: `icon: must be one of ${DEVICE_ICONS.join(", ")}, or null for the type's own`,
      }),
    ),
    notify_on: Type.Optional(
      Type.Array(ref(NotifyOnEvent), {
        maxItems: NOTIFY_ON_EVENTS.length,
        uniqueItems: true,
        error: `notify_on: must be a list of distinct values from ${NOTIFY_ON_EVENTS.join(", ")} ([] for none)`,
      }),
    ),
    presence_mode: Type.Optional(literals(PRESENCE_MODES, { error: `presence_mode: must be one of ${PRESENCE_MODES.join(", ")}` })),
  },
  { ...named("DeviceUpdate"), additionalProperties: false, description: 'Partial: only the fields given change; "" or null clears a text field, null returns type and icon to automatic' },
);
export type DeviceUpdate = Static<typeof DeviceUpdate>;

/** Most devices one bulk action names (a page of the list is at most 200). */
export const BULK_MAX = 500;
export const BULK_ACTIONS = ["trust", "zone", "forget"] as const;
export type BulkActionName = (typeof BULK_ACTIONS)[number];

export const DeviceBulk = Type.Object(
  {
    ids: Type.Array(id(), {
      minItems: 1,
      maxItems: BULK_MAX,
      description: `The devices, 1–${BULK_MAX} ids`,
      error: `ids: must be a list of 1–${BULK_MAX} device ids`,
    }),
    action: literals(BULK_ACTIONS, { description: "trust: mark trusted (approve); zone: set the zone (\"\" or null clears it); forget: delete" }),
    zone: clearable("zone", ZONE_MAX, ONE_LINE),
  },
  { ...named("DeviceBulk"), additionalProperties: false, description: 'One action on several devices; "zone" is required for the action "zone"' },
);
export type DeviceBulk = Static<typeof DeviceBulk>;

export const DeviceBulkResult = Type.Object(
  {
    action: literals(BULK_ACTIONS),
    done: Type.Array(id(), { description: "The devices the action applied to (already trusted or in the zone counts as done)" }),
    skipped: Type.Array(id(), { description: "Ids of no device (never known, or forgotten meanwhile): nothing happened to them" }),
  },
  { ...named("DeviceBulkResult") },
);
export type DeviceBulkResult = Static<typeof DeviceBulkResult>;

export const DeviceMerge = Type.Object(
  { other_id: id("The device to merge into this one; it is deleted, its MACs and history kept here") },
  { ...named("DeviceMerge"), additionalProperties: false, description: "Make one device of two (several interfaces of one machine)" },
);
export type DeviceMerge = Static<typeof DeviceMerge>;

export const DeviceSplit = Type.Object(
  {
    mac: Type.String({
      pattern: "^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$",
      description: "One of the device's MACs, colon separated",
      error: "mac: must be a MAC address like b8:27:eb:12:34:56",
    }),
  },
  { ...named("DeviceSplit"), additionalProperties: false, description: "Make one of a device's MACs a device of its own again" },
);
export type DeviceSplit = Static<typeof DeviceSplit>;

export const DeviceSplitResult = Type.Object(
  { device: ref(DeviceDetail), new_device: ref(DeviceDetail) },
  { ...named("DeviceSplitResult"), description: "The device without the MAC, and the new device that has it" },
);
export type DeviceSplitResult = Static<typeof DeviceSplitResult>;

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
    description: Type.String({ description: "As written when detected, with the device's name at that time" }),
    detected_at: Timestamp(),
    segment: text("The segment it happened on (a hub's inventory, from its sensors); null when standalone or on the hub itself"),
    acknowledged: Type.Boolean(),
    device_name: Type.String({
      description: "The device's name now (label, else host name, else vendor and IP, else IP); a forgotten device's recorded IP",
    }),
  },
  { ...named("Change") },
);
export type Change = Static<typeof Change>;
