// The notifications' shapes: one delivery as GET /api/notifications answers it, the outcome of a
// test message, and the device records messages carry. Those are cut from the one device schema
// (src/inventory/schema.ts) with Type.Pick, so a field renamed there is renamed here too.
import { Type, type Static } from "@sinclair/typebox";
import { Device, Severity } from "../inventory/schema.ts";
import { count, id, literals, named, nullable, ref, text, Timestamp } from "../schema-kit.ts";

export const NOTIFICATION_STATUSES = ["pending", "sent", "failed"] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];
export const NOTIFICATION_KINDS = ["change", "digest", "test"] as const;

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

// ---- the device in a message ------------------------------------------------------------------

/** The columns of a message's device, in the order the webhook's JSON shows them. */
export const NOTIFIED_DEVICE_FIELDS = [
  "id",
  "ip_address",
  "mac_address",
  "mac_randomized",
  "hostname",
  "vendor",
  "device_type",
  "os_name",
  "status",
  "first_seen",
  "last_seen",
  "label",
  "zone",
  "is_trusted",
  "risk_level",
  "risk_score",
  "threat_summary",
  "open_ports",
] as const;

/** The device as a message carries it: the inventory record without the owner's free-text notes and the evidence fields. */
export const NotifiedDevice = Type.Pick(Device, NOTIFIED_DEVICE_FIELDS);
export type NotifiedDevice = Static<typeof NotifiedDevice>;

/** The fields of a device's Home Assistant entity (MQTT): its name, state and attributes. */
export const MQTT_DEVICE_FIELDS = ["id", "ip_address", "mac_address", "vendor", "hostname", "label", "status", "risk_level", "is_trusted", "zone", "addresses"] as const;
export const MqttDevice = Type.Pick(Device, MQTT_DEVICE_FIELDS);
export type MqttDevice = Static<typeof MqttDevice>;
