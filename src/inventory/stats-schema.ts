// The dashboard's shapes (stats.ts answers them): the counts, the newest completed network scan,
// devices per type and the trend over the completed scans.
import { Type, type Static } from "@sinclair/typebox";
import { ScanStatus } from "../scans/schema.ts";
import { count, id, named, nullable, ref, Timestamp } from "../schema-kit.ts";

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
