// The shapes the API sends and takes: one TypeBox schema per shape, named in the OpenAPI
// document's `components.schemas` (each carries its `$id` there) and referenced with `ref()` by
// every route that answers or accepts it. The TypeScript types of the domain modules are derived
// from these schemas, so the document, the runtime response validation and the code cannot drift
// apart. Enumerations are unions of literals built from the domain's own lists.
//
// Plain TypeBox on purpose: Elysia's `t.Integer` also accepts numeric strings and `t.Nullable`
// adds the OpenAPI 3.0 `nullable` keyword; a response contract wants neither.
import { Elysia } from "elysia";
import { Type, type Static, type TLiteral, type TObject, type TSchema, type TUnion } from "@sinclair/typebox";
import { AUDIT_ACTIONS } from "../audit/audit-log.ts";
import { KEY_SCOPES } from "../auth/api-keys.ts";
import { MIN_PASSWORD_LENGTH } from "../auth/passwords.ts";
import { ConfigPatchSchema, ConfigViewSchema } from "../config/schema.ts";
import { secretMarkersAccepted } from "../config/secrets.ts";
import { CHANGE_TYPES, SEVERITIES } from "../inventory/observation.ts";
import { DEVICE_STATUSES, LABEL_MAX, NOTES_MAX, TRUST_LEVELS, ZONE_MAX } from "../inventory/devices.ts";
import { NotificationsSchema } from "../notify/config.ts";
import { NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from "../notify/queue.ts";
import { LEVELS } from "../risk/score.ts";
import { SCAN_KINDS, SCAN_STATUSES } from "../scans/history.ts";
import { SCHEDULE_STATES } from "../schedule/scheduler.ts";
import { SCAN_PHASES } from "../scans/pipeline.ts";

const named = (name: string) => ({ $id: `#/components/schemas/${name}` });

/** A reference to a named schema: `$ref` in the document, resolved by Elysia when it validates. */
export function ref<S extends TSchema>(schema: S) {
  return Type.Ref(schema);
}

/** A string enumeration as a union of literals (the document shows it as `enum`). */
function literals<const V extends readonly string[]>(values: V, options: { $id?: string; description?: string } = {}) {
  return Type.Union(values.map((v) => Type.Literal(v)), options) as unknown as TUnion<TLiteral<V[number]>[]>;
}

const nullable = <S extends TSchema>(schema: S, description?: string) => Type.Union([schema, Type.Null()], description ? { description } : {});
const int = (description?: string, extra: { minimum?: number; maximum?: number } = {}) => Type.Integer({ ...extra, ...(description ? { description } : {}) });
const count = (description?: string) => int(description, { minimum: 0 });
const id = (description = "Numeric id") => int(description, { minimum: 1 });

/** SPEC §1: ISO 8601 UTC with `Z`, e.g. 2024-01-15T10:30:00Z. */
const Timestamp = (description?: string) =>
  Type.String({ format: "date-time", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$", ...(description ? { description } : {}) });
const Ipv4 = (description?: string) => Type.String({ description: description ?? "IPv4 address", examples: ["192.168.1.10"] });
const Cidr = (description?: string) => Type.String({ description: description ?? "IPv4 CIDR", examples: ["192.168.1.0/24"] });

// ---- errors -----------------------------------------------------------------------------------

export const ErrorBody = Type.Object(
  { detail: Type.String({ description: "One sentence naming the problem (and the field, for a 422)" }) },
  { ...named("Error"), description: "Every error the API answers" },
);

// ---- enumerations -----------------------------------------------------------------------------

export const RiskLevel = literals(LEVELS, { ...named("RiskLevel"), description: "Risk level of a device; none when nothing was found" });
export const FindingLevel = literals(["low", "medium", "high", "critical"] as const, { ...named("FindingLevel"), description: "Level of one finding" });
export const DeviceStatus = literals(DEVICE_STATUSES, { ...named("DeviceStatus") });
export const Trust = literals(TRUST_LEVELS, {
  ...named("Trust"),
  description: 'pending: a trusted device re-identified under a new MAC by one piece of evidence, until the owner confirms with {"is_trusted": true}',
});
export const ChangeType = literals(CHANGE_TYPES, { ...named("ChangeType"), description: "What a scan or the passive watch noticed" });
export const Severity = literals(SEVERITIES, { ...named("Severity") });
export const ScanStatus = literals(SCAN_STATUSES, { ...named("ScanStatus"), description: "pending → running → completed | failed | cancelled | interrupted" });
export const ScanKind = literals(SCAN_KINDS, { ...named("ScanType"), description: "A scan of the network, or of one device" });
export const ScanPhase = literals(SCAN_PHASES, { ...named("ScanPhase") });
export const AuditAction = literals(AUDIT_ACTIONS, { ...named("AuditAction") });
export const KeyScope = literals(KEY_SCOPES, {
  ...named("KeyScope"),
  description: "full (the default): everything an API key may do; read: safe methods only (GET, HEAD, OPTIONS), any other answers 403",
});

// ---- system -----------------------------------------------------------------------------------

export const Health = Type.Object(
  {
    status: literals(["healthy", "unhealthy"] as const),
    version: Type.String(),
    uptime_seconds: count(),
    db: literals(["ok", "error"] as const),
  },
  { ...named("Health") },
);

export const Version = Type.Object(
  { version: Type.String(), bun: Type.String(), platform: Type.String(), arch: Type.String() },
  { ...named("Version") },
);

// ---- setup, sessions, principal -----------------------------------------------------------------

export const SetupStatus = Type.Union(
  [
    Type.Object({ setup_required: Type.Literal(true), suggested_subnets: Type.Array(Cidr(), { description: "Subnets of this host's interfaces, proposed for watching" }) }),
    Type.Object({ setup_required: Type.Literal(false) }),
  ],
  { ...named("SetupStatus"), description: "Before setup the wizard proposes subnets; afterwards nothing is disclosed" },
);

const username = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: "^[A-Za-z0-9._@-]+$",
  error: "username: must be 1–64 characters of letters, digits and . _ @ -",
});

export const SetupRequest = Type.Object(
  {
    username,
    password: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1024, error: `password: must be ${MIN_PASSWORD_LENGTH} to 1024 characters` }),
    /** The subnets the admin confirms for watching (consent); optional, can be given later. */
    subnets: Type.Optional(
      Type.Array(Type.String({ maxLength: 18 }), { maxItems: 16, description: "Subnets confirmed for watching (optional)", error: "subnets: must be a list of at most 16 IPv4 CIDRs" }),
    ),
  },
  { ...named("SetupRequest") },
);

export const LoginRequest = Type.Object(
  { username: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 1024 }), remember: Type.Optional(Type.Boolean({ description: "Keep the session for 7 days" })) },
  { ...named("LoginRequest") },
);

export const Session = Type.Object(
  { username: Type.String(), expires_at: Timestamp("When the server ends the session") },
  { ...named("Session"), description: "The session just started; its token is in the argus_session cookie" },
);

export const LoggedOut = Type.Object({ status: Type.Literal("logged_out") }, { ...named("LoggedOut") });

export const Me = Type.Union(
  [
    Type.Object({ username: Type.String(), auth: Type.Literal("session") }),
    Type.Object({ username: Type.String({ description: "api_key:<key name>" }), auth: Type.Literal("api_key"), key_id: id("The key's id") }),
  ],
  { ...named("Me"), description: "The current principal" },
);

// ---- API keys -----------------------------------------------------------------------------------

export const ApiKeyCreate = Type.Object(
  {
    // No control characters: names end up in logs, the audit trail and the UI.
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: "^[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$",
      error: "name: must be a string of 1–100 characters without control characters",
    }),
    scope: Type.Optional(ref(KeyScope)),
  },
  { ...named("ApiKeyCreate") },
);

const keyPrefix = Type.String({ description: "The first 8 characters of the key" });
// Optional in the list's schema only so that the seed document's example (written before scopes) stays
// valid; the server always sends it, and a key without one is "full". The answer to a creation stays
// exactly the seed document's (the list shows the scope).
const keyScope = Type.Optional(ref(KeyScope));

export const ApiKeyCreated = Type.Object(
  { id: id(), name: Type.String(), key: Type.String({ description: "The full key, shown this once only" }), key_prefix: keyPrefix, created_at: Timestamp() },
  { ...named("ApiKeyCreated") },
);
export type ApiKeyCreated = Static<typeof ApiKeyCreated>;

export const ApiKey = Type.Object(
  { id: id(), name: Type.String(), key_prefix: keyPrefix, scope: keyScope, created_at: Timestamp(), last_used_at: nullable(Timestamp(), "Kept current to within a minute") },
  { ...named("ApiKey"), description: "An active key (never the key itself)" },
);
export type ApiKey = Static<typeof ApiKey>;

// ---- audit ------------------------------------------------------------------------------------

export const AuditEntry = Type.Object(
  {
    id: id(),
    timestamp: Timestamp(),
    username: nullable(Type.String(), "Who did it; api_key:<name> for a key"),
    action: ref(AuditAction),
    resource: nullable(Type.String(), "What it was done to, e.g. api_key:3"),
    ip_address: nullable(Type.String()),
    user_agent: nullable(Type.String()),
    success: Type.Boolean(),
    details: Type.Object({}, { additionalProperties: true, description: "Action-specific details; never a secret" }),
  },
  { ...named("AuditEntry") },
);
export type AuditEntry = Static<typeof AuditEntry>;

// ---- devices ----------------------------------------------------------------------------------

const text = (description?: string) => nullable(Type.String(), description);

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

export const Threat = Type.Object(
  {
    port: int(undefined, { minimum: 1, maximum: 65535 }),
    level: ref(FindingLevel),
    description: Type.String(),
    recommendation: Type.String(),
    cve_ids: Type.Array(Type.String()),
  },
  { ...named("Threat"), description: "One risk finding on a port" },
);
export type Threat = Static<typeof Threat>;

export const AddressHistory = Type.Object({ ip_address: Ipv4(), first_seen: Timestamp(), last_seen: Timestamp() }, { ...named("AddressHistory") });
export type AddressHistory = Static<typeof AddressHistory>;

export const DeviceDetail = Type.Object(
  { ...deviceFields, ports: Type.Array(ref(Port)), threats: Type.Array(ref(Threat), { description: "Worst first" }), ip_history: Type.Array(ref(AddressHistory)) },
  { ...named("DeviceDetail"), description: "A device with its ports, threats and IP history" },
);
export type DeviceDetail = Static<typeof DeviceDetail>;

export const Zones = Type.Array(Type.String(), { ...named("Zones"), description: "The zone names in use, sorted" });

// Labels and zones are one-line names shown everywhere (lists, exports, notifications): no control
// characters, and no bidi overrides or isolates (they would reorder the text around them), as key names.
const ONE_LINE = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$";
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

// ---- stats ------------------------------------------------------------------------------------

export const LastScan = Type.Object(
  { id: id(), status: ref(ScanStatus), profile: Type.String(), started_at: Timestamp(), finished_at: nullable(Timestamp()) },
  { ...named("LastScan"), description: "The newest completed network scan" },
);
export type LastScan = Static<typeof LastScan>;

export const Stats = Type.Object(
  {
    total_devices: count(),
    online_devices: count(),
    new_devices_24h: count("First seen in the last 24 hours"),
    devices_at_risk: count("Untrusted devices at risk level medium or above"),
    critical: count("Untrusted devices at this risk level"),
    high: count(),
    medium: count(),
    low: count(),
    open_ports: count("Known open ports across all devices"),
    last_scan: Type.Union([ref(LastScan), Type.Null()]),
  },
  { ...named("Stats") },
);
export type Stats = Static<typeof Stats>;

export const DeviceTypeCount = Type.Object(
  { device_type: Type.String({ description: "router, phone, printer, nas, tv, iot, computer, … or unknown" }), count: count("Devices of this type") },
  { ...named("DeviceTypeCount") },
);
export type DeviceTypeCount = Static<typeof DeviceTypeCount>;

export const TrendPoint = Type.Object(
  { scan_id: id(), started_at: Timestamp(), devices: count(), at_risk: count(), open_ports: count(), changes: count() },
  { ...named("TrendPoint"), description: "One completed network scan" },
);
export type TrendPoint = Static<typeof TrendPoint>;

// ---- scans ------------------------------------------------------------------------------------

export const Scan = Type.Object(
  {
    id: id(),
    scan_type: ref(ScanKind),
    profile: Type.String(),
    subnet: Type.String({ description: "The targets, comma separated" }),
    status: ref(ScanStatus),
    started_at: Timestamp(),
    finished_at: nullable(Timestamp()),
    duration_seconds: nullable(Type.Number({ minimum: 0 })),
    hosts_total: count(),
    hosts_found: count(),
    ports_scanned: count(),
    open_ports: count(),
    devices_added: count(),
    devices_removed: count(),
    changes_count: count(),
    degraded: Type.Boolean({ description: "Discovery ran without raw sockets" }),
    error: text(),
  },
  { ...named("Scan") },
);
export type Scan = Static<typeof Scan>;

export const ScanDevice = Type.Object(
  {
    device_id: id(),
    ip_address: Ipv4(),
    mac_address: text(),
    hostname: text(),
    vendor: text(),
    device_type: Type.String(),
    method: text("How it answered: arp, icmp, neighbour, …"),
    rtt_ms: nullable(Type.Number({ minimum: 0 })),
    open_ports: Type.Array(int(undefined, { minimum: 1, maximum: 65535 })),
  },
  { ...named("ScanDevice"), description: "A device as one scan saw it" },
);
export type ScanDevice = Static<typeof ScanDevice>;

export const ScanComparison = Type.Object(
  {
    current_scan: ref(Scan),
    previous_scan: ref(Scan),
    changes: Type.Array(ref(Change), { description: "Recorded by the scans after the older one, up to the newer one" }),
    summary: Type.Object({ devices_added: count(), devices_removed: count(), total_changes: count() }),
  },
  { ...named("ScanComparison") },
);
export type ScanComparison = Static<typeof ScanComparison>;

export const ScanStarted = Type.Object(
  { status: Type.Literal("started"), scan_id: id(), profile: Type.String(), subnet: Type.String() },
  { ...named("ScanStarted") },
);

export const ScanCancelling = Type.Object({ status: Type.Literal("cancelling"), scan_id: id() }, { ...named("ScanCancelling") });

export const ScanProgress = Type.Object(
  {
    phase: ref(ScanPhase),
    hosts_total: count(),
    hosts_found: count(),
    hosts_processed: count(),
    ports_scanned: count(),
    elapsed_seconds: Type.Number({ minimum: 0 }),
    eta_seconds: nullable(Type.Number({ minimum: 0 }), "null while unknown"),
  },
  { ...named("ScanProgress") },
);
export type ScanProgress = Static<typeof ScanProgress>;

export const ScanState = Type.Union(
  [
    Type.Object({ scanning: Type.Literal(false) }),
    Type.Object({
      scanning: Type.Literal(true),
      scan_id: id(),
      scan_type: ref(ScanKind),
      profile: Type.String(),
      subnet: Type.String(),
      started_at: Timestamp(),
      progress: Type.Union([ref(ScanProgress), Type.Null()], { description: "null while `argus scan` runs the scan in another process: its progress lives there" }),
    }),
  ],
  { ...named("ScanState"), description: "Whether a scan runs, and its progress" },
);
export type ScanState = Static<typeof ScanState>;

// ---- network ----------------------------------------------------------------------------------

export const NetworkInterface = Type.Object(
  { name: Type.String(), ip_address: Ipv4(), prefix: int(undefined, { minimum: 0, maximum: 32 }), subnet: Cidr("The attached subnet"), mac_address: Type.String() },
  { ...named("NetworkInterface") },
);

export const NetworkDetect = Type.Object(
  {
    interfaces: Type.Array(ref(NetworkInterface)),
    suggested_subnets: Type.Array(Cidr(), { description: "Proposed only; nothing is scanned until confirmed" }),
    confirmed_subnets: Type.Array(Cidr(), { description: "Confirmed for watching" }),
  },
  { ...named("NetworkDetect") },
);

// ---- notifications ----------------------------------------------------------------------------

export const NotificationStatus = literals(NOTIFICATION_STATUSES, { ...named("NotificationStatus"), description: "pending (queued or waiting for a retry) → sent | failed" });
export const NotificationKind = literals(NOTIFICATION_KINDS, { ...named("NotificationKind"), description: "One change, a digest (one message per scan), or a test message" });

export const Notification = Type.Object(
  {
    id: id("The delivery's id; sent as X-Argus-Delivery so a receiver can drop repeats"),
    channel: Type.String({ description: "The channel's name in notifications.channels" }),
    kind: ref(NotificationKind),
    change_id: nullable(id(), "The change announced; null for digests and tests"),
    scan_id: nullable(id(), "The scan that recorded the change(s); null for passive sightings and tests"),
    severity: ref(Severity),
    status: ref(NotificationStatus),
    attempts: count("Tries so far"),
    error: text("The last failure, coarsely (\"the destination did not accept the message\", a refused loopback destination, a removed or disabled channel); the details are in the server log"),
    created_at: Timestamp(),
    sent_at: nullable(Timestamp()),
    next_attempt_at: nullable(Timestamp(), "When a pending delivery is tried next; null once it is sent or failed"),
  },
  { ...named("Notification"), description: "One message to one channel, and how its delivery went" },
);
export type Notification = Static<typeof Notification>;

export const NotificationTest = Type.Object(
  {
    id: id("The test delivery's id in GET /api/notifications"),
    channel: Type.String(),
    status: literals(["sent", "failed"] as const),
    attempts: count(),
    error: text('Why it failed, coarsely: "the destination did not accept the message", or why it was not sent at all (a loopback destination, a disabled channel); null when sent'),
  },
  { ...named("NotificationTest"), description: "The outcome of one test message (one try, no retry)" },
);
export type NotificationTest = Static<typeof NotificationTest>;

// ---- passive watch ------------------------------------------------------------------------------

export const PassiveStatus = Type.Object(
  {
    listening: Type.Boolean({ description: "False when `passive` is false or raw sockets are not allowed" }),
    interfaces: Type.Array(Type.String(), { description: "Interfaces of the confirmed subnets being listened on" }),
    flooding: Type.Array(Type.String(), { description: "Interfaces whose flood cap is in force" }),
    frames: count("Frames that passed the kernel filter (ARP, DHCP, mDNS)"),
    sightings: count("Frames decoded into a sighting and queued for the inventory"),
    repeats: count("Identical to a recent sighting of the same host (within 20 s), dropped"),
    ignored: count("Not on a watched interface, undecodable, or from a multicast sender"),
    overflow: count("Dropped because the queue to the inventory was full"),
    kernel_drops: count("Dropped by the kernel (socket buffer full)"),
    errors: count("Socket errors survived (an interface going down, …)"),
  },
  { ...named("PassiveStatus"), description: "Whether the passive watch listens, where, and its counters since it started (all 0 while it is off)" },
);
export type PassiveStatus = Static<typeof PassiveStatus>;

// ---- configuration and schedule ---------------------------------------------------------------------

/**
 * A copy of a schema without `default`s. The models form one module for Elysia, and one `default`
 * anywhere in it makes Elysia fill defaults into every body it validates, which it cannot do through
 * a reference; the configuration's defaults are applied by src/config, not by the API.
 */
function withoutDefaults<S extends TSchema>(schema: S, inProperties = false): S {
  if (Array.isArray(schema)) return schema.map((s) => withoutDefaults(s)) as unknown as S;
  if (!schema || typeof schema !== "object") return schema;
  const out = Object.create(Object.getPrototypeOf(schema));
  for (const [k, v] of Object.entries(schema)) if (inProperties || k !== "default") out[k] = withoutDefaults(v, k === "properties" && !inProperties);
  for (const sym of Object.getOwnPropertySymbols(schema)) out[sym] = (schema as any)[sym];
  return out;
}

// The configuration's own schemas (src/config/schema.ts: the one that validates the file and the PUT),
// named here for the document.
export const Config = Type.Object(withoutDefaults(ConfigViewSchema as TObject).properties, {
  ...named("Config"),
  description: "The configuration in force: secrets are never shown (`<key>_set` says whether one is stored), a URL's password is `***`",
});
export type Config = Static<typeof Config>;

export const ConfigUpdate = Type.Object(
  {
    ...withoutDefaults(ConfigPatchSchema as TObject).properties,
    // The patch schema leaves this section to its own parser (validateNotifications), which checks it
    // against the section's schema with the `<key>_set` markers: that is what the document shows.
    notifications: Type.Optional(secretMarkersAccepted(NotificationsSchema)),
  },
  {
    ...named("ConfigUpdate"),
    additionalProperties: false,
    description:
      "Any subset of the configuration's top-level keys; each one given replaces its whole value. A configuration sent back as GET shows it keeps the stored secrets (`<key>_set: true` without the secret, a URL password `***`).",
  },
);

export const ScheduleState = literals(SCHEDULE_STATES, {
  ...named("ScheduleState"),
  description: "scheduled | disabled | waiting_for_subnet (no subnet confirmed: nothing runs) | paused (during a restore)",
});

export const ScheduledScan = Type.Object(
  {
    profile: Type.String({ description: "quick | normal | intensive | a custom profile" }),
    cron: Type.String({ description: "5 fields, or 6 with seconds first; the appliance's local time" }),
    enabled: Type.Boolean(),
    state: ref(ScheduleState),
    next_run_at: nullable(Timestamp(), "Next planned run (null unless scheduled)"),
    last_run_at: nullable(Timestamp(), "When this entry last started a scan"),
    last_scan_id: nullable(id(), "The scan it last started"),
    last_skipped_at: nullable(Timestamp(), "When a tick of this entry last found a scan running and was skipped"),
  },
  { ...named("ScheduledScan"), description: "One schedule entry and its runs" },
);
export type ScheduledScan = Static<typeof ScheduledScan>;

// ---- maintenance --------------------------------------------------------------------------------

export const RetentionCounts = Type.Object(
  {
    scans: count("Scans removed (with their sightings)"),
    changes: count("Changes removed"),
    audit: count("Audit log entries removed"),
    notifications: count("Notification records removed"),
  },
  { ...named("RetentionCounts"), description: "What one pruning run removed" },
);
export type RetentionCounts = Static<typeof RetentionCounts>;

export const DatabaseStats = Type.Object(
  {
    file_bytes: count("Size of the database file"),
    wal_bytes: count("Size of its write-ahead log"),
    page_size: count(),
    page_count: count(),
    free_pages: count("Unused pages (reused before the file grows)"),
    rows: Type.Record(Type.String(), count(), { description: "Rows per table" }),
  },
  { ...named("DatabaseStats") },
);
export type DatabaseStats = Static<typeof DatabaseStats>;

export const RestoreResult = Type.Object(
  { restored: Type.Literal(true), devices: count("Devices in the restored database") },
  { ...named("RestoreResult") },
);

/** Every named schema; registered once per app so references resolve and the document lists them. */
const ALL = {
  Error: ErrorBody,
  RiskLevel,
  FindingLevel,
  DeviceStatus,
  Trust,
  ChangeType,
  Severity,
  ScanStatus,
  ScanType: ScanKind,
  ScanPhase,
  AuditAction,
  KeyScope,
  Health,
  Version,
  SetupStatus,
  SetupRequest,
  LoginRequest,
  Session,
  LoggedOut,
  Me,
  ApiKeyCreate,
  ApiKeyCreated,
  ApiKey,
  AuditEntry,
  Device,
  Port,
  Threat,
  AddressHistory,
  DeviceDetail,
  DeviceUpdate,
  Zones,
  Change,
  LastScan,
  Stats,
  DeviceTypeCount,
  TrendPoint,
  Scan,
  ScanDevice,
  ScanComparison,
  ScanStarted,
  ScanCancelling,
  ScanProgress,
  ScanState,
  NetworkInterface,
  NetworkDetect,
  NotificationStatus,
  NotificationKind,
  Notification,
  NotificationTest,
  PassiveStatus,
  Config,
  ConfigUpdate,
  ScheduleState,
  ScheduledScan,
  RetentionCounts,
  DatabaseStats,
  RestoreResult,
};

const plugin = new Elysia({ name: "argus.models" }).model(ALL);

/** The named schemas, for every plugin whose routes reference them. */
export function models() {
  return plugin;
}
