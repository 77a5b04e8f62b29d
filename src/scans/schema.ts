// The scans' shapes: a scan as the history keeps it, a device as one scan saw it, a comparison of
// two scans, and the state and progress of the running one. The scan modules' types are the Static
// of these schemas; src/api/models.ts names them in the OpenAPI document.
import { Type, type Static } from "@sinclair/typebox";
import { Change } from "../inventory/schema.ts";
import { count, id, int, Ipv4, literals, named, nullable, ref, text, Timestamp } from "../schema-kit.ts";
import { SCAN_KINDS, SCAN_PHASES, SCAN_STATUSES } from "./enums.ts";

export const ScanStatus = literals(SCAN_STATUSES, { ...named("ScanStatus"), description: "pending → running → completed | failed | cancelled | interrupted" });
export const ScanKind = literals(SCAN_KINDS, { ...named("ScanType"), description: "A scan of the network, or of one device" });
export const ScanPhase = literals(SCAN_PHASES, { ...named("ScanPhase") });

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
    segment: text("The segment scanned: a sensor's own scans, and on a hub the sensors' scans it mirrors; null when standalone and for a hub's own"),
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
    method: text("How it answered: arp, icmp, neigh (the neighbour table), tcp (a routed host that ignored echo)"),
    rtt_ms: nullable(Type.Number({ minimum: 0 })),
    open_ports: Type.Array(int(undefined, { minimum: 1, maximum: 65535 })),
  },
  { ...named("ScanDevice"), description: "A device as one scan saw it" },
);
export type ScanDevice = Static<typeof ScanDevice>;

/** A device in one scan of a comparison and not in the other: the summary's counts, by name. */
export const ComparedDevice = Type.Object(
  {
    device_id: id(),
    ip_address: Ipv4({ description: "Where that scan saw it" }),
    mac_address: text(),
    hostname: text(),
    label: text(),
  },
  { ...named("ComparedDevice") },
);
export type ComparedDevice = Static<typeof ComparedDevice>;

export const ScanComparison = Type.Object(
  {
    current_scan: ref(Scan),
    previous_scan: ref(Scan),
    changes: Type.Array(ref(Change), { description: "Recorded by the scans after the older one, up to the newer one" }),
    summary: Type.Object({ devices_added: count(), devices_removed: count(), total_changes: count() }),
    devices_added: Type.Array(ref(ComparedDevice), { description: "Seen by the current scan and not by the previous one (summary.devices_added of them)" }),
    devices_removed: Type.Array(ref(ComparedDevice), {
      description: "Seen by the previous scan and not by the current one (summary.devices_removed of them); a device is recorded as gone offline (device_removed) only after it misses two scans",
    }),
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
