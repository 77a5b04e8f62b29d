// The API's named schemas: the shapes every route answers and takes, listed in the OpenAPI
// document's `components.schemas` (each carries its `$id` there) and referenced with `ref()`. Each
// area owns its shapes (src/<area>/schema.ts, built from the area's own enumerations with
// src/schema-kit.ts) and the domain modules' types are their Static, so the document, the runtime
// response validation and the code cannot drift apart. This module adds the shapes only the API has
// (errors, health, the network view, the configuration as the API shows it) and registers them all.
import { Elysia } from "elysia";
import { Type, type Static, type TObject, type TSchema } from "@sinclair/typebox";
import { AuditAction, AuditEntry } from "../audit/schema.ts";
import { ApiKey, ApiKeyCreate, ApiKeyCreated, KeyScope, LoggedOut, LoginRequest, Me, Session, SetupRequest, SetupStatus } from "../auth/schema.ts";
import { ConfigPatchSchema, ConfigViewSchema } from "../config/schema.ts";
import { secretMarkersAccepted } from "../config/secrets.ts";
import { AddressHistory, Change, ChangeType, Device, DeviceAddress, DeviceBulk, DeviceBulkResult, DeviceDetail, DeviceIcon, DeviceMac, DeviceMerge, DeviceName, DeviceSplit, DeviceSplitResult, DeviceStatus, DeviceType, DeviceUpdate, NotifyOnEvent, Port, PresenceMode, Severity, Trust, Zones } from "../inventory/schema.ts";
import { DeviceTypeCount, LastScan, Stats, TrendPoint } from "../inventory/stats-schema.ts";
import { DevicePresence, PresenceBucket, PresenceInterval, PresenceSource } from "../inventory/presence-schema.ts";
import { NotificationsSchema } from "../notify/config.ts";
import { Notification, NotificationKind, NotificationStatus, NotificationTest } from "../notify/schema.ts";
import { WakeSent } from "../net/schema.ts";
import { PassiveStatus } from "../passive/schema.ts";
import { SourceState } from "../sources/schema.ts";
import { SegmentStatus, Sensor, SensorScanRequested } from "../segments/schema.ts";
import { DatabaseStats, RetentionCounts } from "../retention/schema.ts";
import { FindingLevel, RiskLevel, Threat } from "../risk/schema.ts";
import { ComparedDevice, ScanCancelling, ScanComparison, ScanDevice, ScanKind, ScanPhase, ScanProgress, Scan, ScanStarted, ScanState, ScanStatus } from "../scans/schema.ts";
import { ScheduledScan, ScheduleState } from "../schedule/schema.ts";
import { Cidr, Ipv4, count, int, literals, named, ref } from "../schema-kit.ts";

export {
  ref,
  AddressHistory,
  ApiKey,
  ApiKeyCreate,
  ApiKeyCreated,
  AuditAction,
  AuditEntry,
  Change,
  ChangeType,
  DatabaseStats,
  Device,
  DeviceBulk,
  DeviceBulkResult,
  DeviceDetail,
  DeviceIcon,
  DeviceMac,
  DeviceMerge,
  DeviceSplit,
  DeviceSplitResult,
  DeviceStatus,
  DevicePresence,
  DeviceType,
  DeviceTypeCount,
  DeviceUpdate,
  FindingLevel,
  PresenceMode,
  KeyScope,
  LastScan,
  LoggedOut,
  LoginRequest,
  Me,
  Notification,
  NotificationKind,
  NotificationStatus,
  NotificationTest,
  PassiveStatus,
  SourceState,
  DeviceName,
  SegmentStatus,
  Sensor,
  SensorScanRequested,
  Port,
  PresenceBucket,
  PresenceInterval,
  PresenceSource,
  RetentionCounts,
  RiskLevel,
  Scan,
  ScanCancelling,
  ScanComparison,
  ComparedDevice,
  ScanDevice,
  ScanKind,
  ScanPhase,
  ScanProgress,
  ScanStarted,
  ScanState,
  ScanStatus,
  ScheduledScan,
  ScheduleState,
  Session,
  SetupRequest,
  SetupStatus,
  Severity,
  Stats,
  Threat,
  TrendPoint,
  Trust,
  WakeSent,
  Zones,
};

// ---- errors -----------------------------------------------------------------------------------

export const ErrorBody = Type.Object(
  { detail: Type.String({ description: "One sentence naming the problem (and the field, for a 422)" }) },
  { ...named("Error"), description: "Every error the API answers" },
);

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
    source_suggestions: Type.Array(
      Type.Object({
        subnet: Cidr("The /24 of addresses a source reported"),
        sources: Type.Array(Type.Object({ name: Type.String({ description: "The source's name in `sources`" }), type: Type.String({ description: "Its type (snmp, unifi, …)" }) })),
      }),
      { description: "Private subnets the sources' latest runs saw hosts on (a routed VLAN in the router's ARP table) that are not confirmed; proposed only, never confirmed by a source" },
    ),
  },
  { ...named("NetworkDetect") },
);

// ---- configuration ------------------------------------------------------------------------------

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

// ---- maintenance --------------------------------------------------------------------------------

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
  DeviceType,
  DeviceIcon,
  WakeSent,
  PresenceMode,
  Trust,
  ChangeType,
  Severity,
  NotifyOnEvent,
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
  DeviceMac,
  DeviceAddress,
  DeviceName,
  DeviceDetail,
  DeviceUpdate,
  DeviceMerge,
  DeviceSplit,
  DeviceSplitResult,
  DeviceBulk,
  DeviceBulkResult,
  Zones,
  PresenceSource,
  PresenceInterval,
  PresenceBucket,
  DevicePresence,
  Change,
  LastScan,
  Stats,
  DeviceTypeCount,
  TrendPoint,
  Scan,
  ScanDevice,
  ComparedDevice,
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
  SourceState,
  SegmentStatus,
  Sensor,
  SensorScanRequested,
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
