// The inventory's enumerations as plain lists: the domain code, the TypeBox schemas (schema.ts) and
// the UI's filters and labels all take them from here. No TypeBox, so the browser bundle can import it.

/**
 * The kinds of device Argus tells apart: the automatic guess (identify/), the owner's override and
 * the UI's icons and choices all take them from here. "unknown" is the guess without evidence.
 */
export const DEVICE_TYPES = ["router", "printer", "nas", "tv", "speaker", "camera", "console", "phone", "iot", "server", "computer", "unknown"] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** The icons an owner may give a device: one per type (a camera may be shown as "iot", say). */
export const DEVICE_ICONS = DEVICE_TYPES;
export type DeviceIcon = DeviceType;

export const DEVICE_STATUSES = ["online", "offline"] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/**
 * How a device's departure is noticed (SPEC §7): the silence before it is probed, and the severity
 * of its `device_removed` (passive/departure-schedule.ts has the schedule).
 */
export const PRESENCE_MODES = ["normal", "can_sleep", "always_on"] as const;
export type PresenceMode = (typeof PRESENCE_MODES)[number];

/** A device's trust (SPEC §7): `is_trusted` is `trust == "trusted"`. */
export const TRUST_LEVELS = ["trusted", "untrusted", "pending"] as const;
export type TrustLevel = (typeof TRUST_LEVELS)[number];

export const CHANGE_TYPES = [
  "device_added",
  "device_removed",
  "device_returned",
  "ip_changed",
  "mac_rotated",
  "mac_changed_for_ip",
  "port_opened",
  "port_closed",
  "service_changed",
  /** The passive listener saw more new devices than it admits per minute (a flood of random MACs). */
  "sighting_flood",
  /** Two online MACs claim one IPv4 address (warning; critical for the gateway's address). */
  "ip_conflict",
  /** The default gateway's MAC changed (critical). */
  "gateway_changed",
  /** A DHCP offer or ack from a server that is not the LAN's known one (critical). */
  "rogue_dhcp_server",
  /** An IPv6 router advertisement from a router that is not the known one (critical). */
  "rogue_router_advert",
  /** One MAC claiming many addresses in a short time (warning). */
  "address_hopping",
  /** A device's old MAC spoke again while the MAC it was linked to is present: two devices claim to be one, the link is undone (warning). */
  "identity_conflict",
  /** The gateway's MAC, the DHCP server or the IPv6 router was learned on first sight (info): the owner checks it in known_infrastructure. */
  "infrastructure_learned",
  /** A new MAC is another interface of a known device: the same mDNS name and the same services, seen by a scan (info); `split` undoes it. */
  "interface_linked",
  /** A device (its MAC) heard on another segment than before (role hub, SPEC §7 "Segments"): one device, moved (info). */
  "device_moved",
  /** A sensor the hub has not heard from for longer than segments.offline_after_s (warning). */
  "sensor_offline",
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/**
 * A change's severity, in rank order (the order every list and dropdown shows): events are info,
 * warning or critical, an opened port carries its risk (low to critical).
 */
export const SEVERITIES = ["info", "low", "warning", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Severity order for "at least": info < low < warning = medium < high < critical. `warning` (a new
 * device, a possible spoof) asks for attention like a medium finding.
 */
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, warning: 2, medium: 2, high: 3, critical: 4 };

/** What opened a presence session (SPEC §7 "Presence"): a scan, a passive sighting or a departure probe. */
export const PRESENCE_SOURCES = ["scan", "passive", "probe"] as const;
export type PresenceSource = (typeof PRESENCE_SOURCES)[number];

/** The sizes of GET /api/presence's buckets. */
export const PRESENCE_BUCKETS = ["hour", "day"] as const;
export type PresenceBucket = (typeof PRESENCE_BUCKETS)[number];

/**
 * Per-device alerts (SPEC §7 `notify_on`): the owner asks to hear when this device leaves, comes back
 * or opens a port, whatever severity the global rules ask for. Each names the change type it follows.
 */
export const NOTIFY_ON_EVENTS = ["left", "returned", "port_opened"] as const;
export type NotifyOnEvent = (typeof NOTIFY_ON_EVENTS)[number];
export const NOTIFY_ON_CHANGE: Record<NotifyOnEvent, ChangeType> = { left: "device_removed", returned: "device_returned", port_opened: "port_opened" };
