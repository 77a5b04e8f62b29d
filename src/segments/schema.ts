// The shapes of a segmented setup (SPEC §7 "Segments"): a hub's sensors (GET /api/sensors) and this
// appliance's own part (GET /api/segment).
import { Type, type Static } from "@sinclair/typebox";
import { ROLES } from "../config/sections/segments.ts";
import { count, literals, named, nullable, Timestamp } from "../schema-kit.ts";

export const Sensor = Type.Object(
  {
    site: Type.String(),
    segment: Type.String(),
    last_heard_at: Timestamp(),
    lag_seconds: nullable(Type.Number({ minimum: 0 }), "How late its latest message arrived: received minus when it happened on the sensor (a replay after an outage shows here)"),
    buffered: count("Messages waiting in its outbox, as its latest heartbeat said"),
    dropped: count("Messages lost: dropped from its full outbox while the broker was away"),
    status: literals(["online", "offline"] as const, { description: "offline once not heard for hub.offline_after_s" }),
  },
  { ...named("Sensor"), description: "A sensor the hub has heard from" },
);
export type Sensor = Static<typeof Sensor>;

export const SegmentStatus = Type.Object(
  {
    role: literals(ROLES),
    site: nullable(Type.String()),
    segment: nullable(Type.String()),
    connected: Type.Boolean({ description: "Connected to the broker (sensor or hub); false when standalone" }),
    buffered: count("Sensor: messages in the outbox, waiting for the broker"),
    dropped: count("Sensor: messages dropped from the full outbox, not yet reported to the hub"),
    last_error: nullable(Type.String(), 'Why the broker connection failed, e.g. "the broker refused the credentials (not authorized)"'),
  },
  { ...named("SegmentStatus"), description: "This appliance's part in a segmented setup" },
);
export type SegmentStatus = Static<typeof SegmentStatus>;

export const SensorScanRequested = Type.Object(
  {
    command_id: Type.String({ description: "The command's id, in the sensor's audit log (scan_started by \"hub\", details.command_id)" }),
    site: Type.String(),
    segment: Type.String(),
    profile: Type.String(),
  },
  { ...named("SensorScanRequested"), description: "A scan command the hub sent to a sensor over the broker" },
);
export type SensorScanRequested = Static<typeof SensorScanRequested>;
