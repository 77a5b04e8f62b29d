// The audit trail's shapes: the actions it records and one entry as GET /api/audit-logs answers it.
import { Type, type Static } from "@sinclair/typebox";
import { id, literals, named, nullable, ref, Timestamp } from "../schema-kit.ts";

export const AUDIT_ACTIONS = [
  "setup_completed",
  "login",
  "login_failed",
  "logout",
  "api_key_created",
  "api_key_revoked",
  "scan_started",
  /** The owner stopped a running scan (POST /api/scan/cancel); resource scan:<id>. */
  "scan_cancelled",
  "device_updated",
  "device_deleted",
  "device_wake_sent",
  "device_merged",
  "device_split",
  "config_updated",
  "backup_created",
  "restore_completed",
  "password_reset",
  "scheduled_scan_skipped",
  "retention_cleanup",
  "source_run",
  /** A hub asked a sensor to scan its segment (the sensor records the scan itself as scan_started by "hub"). */
  "sensor_scan_requested",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AuditAction = literals(AUDIT_ACTIONS, { ...named("AuditAction") });

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
