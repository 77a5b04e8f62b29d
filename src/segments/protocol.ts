// What sensors say to the hub over the owner's MQTT broker (SPEC §7 "Segments"; README "Segments").
//
// One topic per sensor, `<prefix>/<site>/<segment>/events`, QoS 1. The broker's ACL confines each
// sensor's credentials to `<prefix>/<site>/<segment>/#`, so the hub takes site and segment from the
// topic, never from the message: a sensor cannot speak for another segment.
//
// Every message is one JSON object with `v`, a unique `event_id` (`<instance>:<seq>`, the sensor's
// instance id and its outbox sequence number), `sent_at` (when it was published), `at` (when it
// happened on the sensor) and a `kind`:
// - `batch`: what one commit on the sensor changed, as its event feed said it: the device records it
//   touched (`devices`) and the change records it made (`changes`). Device records are state (the
//   hub upserts them by MAC, so a replay is harmless); change records are history (the hub stores
//   them once). Nothing else is needed to rebuild the inventory: every scan, sighting and departure on
//   the sensor ends in these two feed events, and scans' own progress is the sensor's business. Also,
//   optional: `scans`, the records of scans that finished (failed, were cancelled) on the
//   sensor, stored once per (instance, scan id) on the hub under ids of its own, and `forgotten`, the
//   MACs of devices the owner forgot on the sensor (the hub forgets them if they are still that
//   segment's). A sensor from before sends neither, and its messages still apply.
// - `dropped`: `count` messages were dropped from the sensor's full outbox (the oldest first) while
//   the broker was away; the hub counts them for GET /api/sensors.
// - `heartbeat`: the sensor is alive; `buffered` messages wait in its outbox. Not queued: only the
//   latest matters, so it is sent only while connected (event id `<instance>:hb:<n>`, no `seq`).
// `batch` and `dropped` carry `seq`; the hub applies each sensor's numbers once, in increasing order
// (a replay after a lost PUBACK repeats numbers it already has).
import { FormatRegistry, Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { CHANGE_TYPES, DEVICE_TYPES, SEVERITIES } from "../inventory/enums.ts";
import { FINDING_LEVELS, LEVELS } from "../risk/levels.ts";

export const PROTOCOL_VERSION = 1;

export const eventsTopic = (prefix: string, site: string, segment: string) => `${prefix}/${site}/${segment}/events`;
export const eventsWildcard = (prefix: string) => `${prefix}/+/+/events`;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The site and segment a topic names, or null when it is not an events topic under `prefix`. */
export function parseEventsTopic(prefix: string, topic: string): { site: string; segment: string } | null {
  const parts = topic.split("/");
  if (parts.length !== 4 || parts[0] !== prefix || parts[3] !== "events") return null;
  const [, site, segment] = parts;
  return NAME.test(site) && NAME.test(segment) ? { site, segment } : null;
}

// Text from the sensor is its LAN's text (host names a guest typed): bounded here, and treated as
// untrusted where shown, like everything else heard on a LAN.
const str = (max: number) => Type.Union([Type.String({ maxLength: max }), Type.Null()]);
const MAC = Type.String({ pattern: "^[0-9a-f]{2}(:[0-9a-f]{2}){5}$" });
const IPV4 = Type.String({ pattern: "^\\d{1,3}(\\.\\d{1,3}){3}$" });
// ISO-8601 in UTC as the appliance writes it (toISOString): compared as text on the hub, so anything
// else (another zone, a year 99999) is refused, and the hub clamps a future one to its own clock (merge.ts).
// The shape alone let impossible dates through ("2026-13-45T99:99:99Z", "2026-02-30…"), which the
// hub stored and its API then refused to answer with: the date must also be one that exists.
const TIME_SHAPE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;
export function isRealUtcTime(text: string): boolean {
  const m = TIME_SHAPE.exec(text);
  if (!m) return false;
  const at = new Date(Date.parse(text));
  if (Number.isNaN(at.getTime())) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  return at.getUTCFullYear() === y && at.getUTCMonth() + 1 === mo && at.getUTCDate() === d && at.getUTCHours() === h && at.getUTCMinutes() === mi && at.getUTCSeconds() === s;
}
FormatRegistry.Set("argus-utc-time", isRealUtcTime);
const TIME = Type.String({ maxLength: 40, pattern: TIME_SHAPE.source, format: "argus-utc-time" });

/** A payload longer than this is refused by the hub; the sensor splits a commit's batch to stay well under it. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** What the sensor puts in one message at most (one device record, its ports, addresses and names bounded, is far smaller). */
export const BATCH_BUDGET_BYTES = 1024 * 1024;
/**
 * Records per message at most. The hub applies a message's devices in slices with the event loop
 * handed back between them, but each one still costs it work: the sensor splits a commit by count
 * as well as by bytes (splitBatch), and the hub refuses a message with more.
 */
export const WIRE_DEVICES_MAX = 2_000;
export const WIRE_CHANGES_MAX = 2_000;
/** IPv6 addresses and names per device record: the sensor keeps no more (IP6_KEEP_PER_DEVICE, NAMES_PER_DEVICE). */
export const WIRE_ADDRESSES_MAX = 32;
export const WIRE_NAMES_MAX = 16;
/** Port details, findings and mDNS service types per device record; more are clipped (the hub keeps the first). */
export const WIRE_PORTS_MAX = 256;
export const WIRE_THREATS_MAX = 64;
export const WIRE_CVES_MAX = 16;
export const WIRE_MDNS_MAX = 32;
/** A port's banner as the sensor keeps it, at most this long on the wire (the hub cuts it again after cleaning). */
export const WIRE_BANNER_MAX = 1024;
/** Scan records and forgotten MACs per message at most (the sensor splits a commit that has more). */
export const WIRE_SCANS_MAX = 64;
export const WIRE_FORGOTTEN_MAX = 2_000;

/** An open port and the service found on it, as the sensor's probes named it. */
export const WirePort = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  protocol: Type.Union([Type.Literal("tcp"), Type.Literal("udp")]),
  service: str(255),
  product: str(255),
  version: str(255),
  // Optional: a sensor from before these were carried sends neither, and the hub keeps what it had.
  tls: Type.Optional(Type.Boolean()),
  banner: Type.Optional(str(WIRE_BANNER_MAX)),
});
export type WirePort = Static<typeof WirePort>;

/** One risk finding on a port, as the sensor's scorer made it. */
export const WireThreat = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  level: Type.Union(FINDING_LEVELS.map((l) => Type.Literal(l))),
  description: Type.String({ maxLength: 2000 }),
  recommendation: Type.String({ maxLength: 2000 }),
  cve_ids: Type.Array(Type.String({ pattern: "^CVE-\\d{4}-\\d{4,12}$" }), { maxItems: WIRE_CVES_MAX }),
});
export type WireThreat = Static<typeof WireThreat>;

/** An IPv6 address heard from the device on the sensor (its family 6 `addresses`); the hub parses the text and works out the scope itself. */
export const WireAddress = Type.Object({
  address: Type.String({ minLength: 2, maxLength: 45 }),
  mac: Type.Union([MAC, Type.Null()]),
  first_seen: TIME,
  last_seen: TIME,
  source: Type.Union(["ndp", "dhcpv6", "mdns", "sweep"].map((s) => Type.Literal(s))),
});
export type WireAddress = Static<typeof WireAddress>;

/** A name the device goes by on the sensor, with the source that called it so. */
export const WireName = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  source: Type.String({ pattern: "^[a-z0-9_-]{1,32}$" }),
  last_seen: TIME,
});
export type WireName = Static<typeof WireName>;

/** A device record as the sensor's feed gave it, what the hub needs of it. */
export const WireDevice = Type.Object({
  mac: MAC,
  ip: IPV4,
  mac_randomized: Type.Boolean(),
  hostname: str(255),
  hostname_source: str(32),
  vendor: str(255),
  device_type: Type.Union([...DEVICE_TYPES.map((t) => Type.Literal(t)), Type.Null()]),
  os_name: str(255),
  model: str(255),
  status: Type.Union([Type.Literal("online"), Type.Literal("offline")]),
  first_seen: TIME,
  last_seen: TIME,
  open_ports: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { maxItems: 65535 }),
  risk_level: Type.Union([...LEVELS.map((l) => Type.Literal(l)), Type.Null()]),
  risk_score: Type.Integer({ minimum: 0, maximum: 100 }),
  threat_summary: str(1000),
  // Optional: a sensor from before these were carried sends neither, and its messages still apply.
  addresses: Type.Optional(Type.Array(WireAddress, { maxItems: WIRE_ADDRESSES_MAX })),
  names: Type.Optional(Type.Array(WireName, { maxItems: WIRE_NAMES_MAX })),
  // Optional likewise: without them the hub keeps the port numbers of `open_ports` and no findings.
  ports: Type.Optional(Type.Array(WirePort, { maxItems: WIRE_PORTS_MAX })),
  threats: Type.Optional(Type.Array(WireThreat, { maxItems: WIRE_THREATS_MAX })),
  mdns_services: Type.Optional(Type.Array(Type.String({ maxLength: 255 }), { maxItems: WIRE_MDNS_MAX })),
  device_type_evidence: Type.Optional(str(255)),
});
export type WireDevice = Static<typeof WireDevice>;

/** A change record as the sensor stored it (its device named by MAC and address: ids are the sensor's own). */
export const WireChange = Type.Object({
  change_type: Type.Union(CHANGE_TYPES.map((c) => Type.Literal(c))),
  severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
  device_mac: Type.Union([MAC, Type.Null()]),
  device_ip: str(64),
  old_value: str(1000),
  new_value: str(1000),
  description: Type.String({ maxLength: 2000 }),
  detected_at: TIME,
});
export type WireChange = Static<typeof WireChange>;

/** How a scan ended on the sensor: only finished scans are reported (a running one is the sensor's business). */
export const WIRE_SCAN_STATUSES = ["completed", "failed", "cancelled", "interrupted"] as const;
const COUNT = Type.Integer({ minimum: 0, maximum: 2 ** 31 });

/** A finished scan as the sensor's history keeps it (GET /api/scans there); `id` is the sensor's own, never the hub's. */
export const WireScan = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  scan_type: Type.Union([Type.Literal("network"), Type.Literal("device")]),
  profile: Type.String({ minLength: 1, maxLength: 32 }),
  subnet: Type.String({ maxLength: 600 }),
  status: Type.Union(WIRE_SCAN_STATUSES.map((s) => Type.Literal(s))),
  started_at: TIME,
  finished_at: Type.Union([TIME, Type.Null()]),
  duration_seconds: Type.Union([Type.Number({ minimum: 0, maximum: 1e9 }), Type.Null()]),
  hosts_total: COUNT,
  hosts_found: COUNT,
  ports_scanned: COUNT,
  open_ports: COUNT,
  devices_added: COUNT,
  devices_removed: COUNT,
  changes_count: COUNT,
  degraded: Type.Boolean(),
  error: str(1000),
});
export type WireScan = Static<typeof WireScan>;

const envelope = {
  v: Type.Literal(PROTOCOL_VERSION),
  event_id: Type.String({ maxLength: 128 }),
  instance: Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" }),
  sent_at: TIME,
  at: TIME,
};

export const BatchMessage = Type.Object({
  ...envelope,
  kind: Type.Literal("batch"),
  seq: Type.Integer({ minimum: 1 }),
  devices: Type.Array(WireDevice, { maxItems: WIRE_DEVICES_MAX }),
  changes: Type.Array(WireChange, { maxItems: WIRE_CHANGES_MAX }),
  // Optional: a sensor from before these were carried sends neither.
  /** Scans that finished on the sensor (the hub keeps one row per sensor instance and scan id). */
  scans: Type.Optional(Type.Array(WireScan, { maxItems: WIRE_SCANS_MAX })),
  /** MACs of devices forgotten on the sensor (DELETE /api/devices/{id}, or a bulk forget). */
  forgotten: Type.Optional(Type.Array(MAC, { maxItems: WIRE_FORGOTTEN_MAX })),
});
export const DroppedMessage = Type.Object({ ...envelope, kind: Type.Literal("dropped"), seq: Type.Integer({ minimum: 1 }), count: Type.Integer({ minimum: 1 }) });
export const HeartbeatMessage = Type.Object({ ...envelope, kind: Type.Literal("heartbeat"), buffered: Type.Integer({ minimum: 0 }) });

export type BatchMessage = Static<typeof BatchMessage>;
export type DroppedMessage = Static<typeof DroppedMessage>;
export type HeartbeatMessage = Static<typeof HeartbeatMessage>;
export type SensorMessage = BatchMessage | DroppedMessage | HeartbeatMessage;

/** What a message body holds before the sensor's outbox numbers it. */
export type OutboxBody = Pick<BatchMessage, "kind" | "at" | "devices" | "changes" | "scans" | "forgotten"> | Pick<DroppedMessage, "kind" | "at" | "count">;

const SCHEMAS = { batch: BatchMessage, dropped: DroppedMessage, heartbeat: HeartbeatMessage } as const;

/**
 * The message in `payload`, checked; null for anything malformed or oversize (logged by the caller,
 * never applied). A device's `addresses`, `names`, `ports`, `threats` and `mdns_services` beyond the
 * bounds are clipped, not refused: the rest of the record is still worth having. A malformed entry
 * (a level or CVE id out of the schema) refuses the message, as any other malformed field does.
 */
export function parseMessage(payload: string): SensorMessage | null {
  // Bytes: a string's length counts UTF-16 units, at most 3 bytes of UTF-8 each.
  if (payload.length > MAX_MESSAGE_BYTES || (payload.length * 3 > MAX_MESSAGE_BYTES && Buffer.byteLength(payload) > MAX_MESSAGE_BYTES)) return null;
  let m: unknown;
  try {
    m = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof m !== "object" || m === null) return null;
  const schema = SCHEMAS[(m as { kind?: string }).kind as keyof typeof SCHEMAS];
  if (schema === BatchMessage) clipDetail((m as { devices?: unknown }).devices);
  return schema && Value.Check(schema, m) ? (m as SensorMessage) : null;
}

function clipDetail(devices: unknown): void {
  if (!Array.isArray(devices)) return;
  for (const d of devices) {
    if (typeof d !== "object" || d === null) continue;
    const r = d as Record<string, unknown>;
    clip(r.addresses, WIRE_ADDRESSES_MAX);
    clip(r.names, WIRE_NAMES_MAX);
    clip(r.ports, WIRE_PORTS_MAX);
    clip(r.threats, WIRE_THREATS_MAX);
    if (Array.isArray(r.threats)) for (const t of r.threats) if (typeof t === "object" && t !== null) clip((t as { cve_ids?: unknown }).cve_ids, WIRE_CVES_MAX);
    clip(r.mdns_services, WIRE_MDNS_MAX);
  }
}

function clip(list: unknown, max: number): void {
  if (Array.isArray(list) && list.length > max) list.length = max;
}
