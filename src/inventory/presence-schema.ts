// The shapes of presence history (presence.ts answers them, SPEC §7 "Presence"): a device's online
// intervals, and online seconds per hour or day for each device of the network.
import { Type, type Static } from "@sinclair/typebox";
import { count, id, literals, named, nullable, ref, Timestamp } from "../schema-kit.ts";
import { PRESENCE_SOURCES } from "./enums.ts";

export const PresenceSource = literals(PRESENCE_SOURCES, {
  ...named("PresenceSource"),
  description: "What saw the device come online: a scan, the passive watch or a departure probe",
});

export const PresenceInterval = Type.Object(
  {
    from: Timestamp("When the device was first seen online in this interval"),
    to: nullable(Timestamp(), "The last time it was seen before it went offline; null while it is online"),
    source: ref(PresenceSource),
  },
  { ...named("PresenceInterval"), description: "One interval during which a device was online" },
);
export type PresenceInterval = Static<typeof PresenceInterval>;

export const PresenceBucket = Type.Object(
  { at: Timestamp("Start of the hour or day (UTC)"), online_seconds: count("Seconds of it the device was online") },
  { ...named("PresenceBucket") },
);

export const DevicePresence = Type.Object(
  { device_id: id(), buckets: Type.Array(ref(PresenceBucket), { description: "Every bucket of the range, oldest first" }) },
  { ...named("DevicePresence"), description: "A device's online time per bucket" },
);
export type DevicePresence = Static<typeof DevicePresence>;
