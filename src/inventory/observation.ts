// What one scan saw of one host: the pipeline produces these, reconcile() turns them into inventory.
import type { Change as StoredChange } from "./schema.ts";

export type ObservedPort = {
  port: number;
  protocol: "tcp";
  /** The service name; when `identified` is false only a guess from the port number. */
  service: string | null;
  /** True when a probe or banner named the service, false for a port-number guess or silence. */
  identified: boolean;
  product: string | null;
  version: string | null;
  tls: boolean;
  banner: string | null;
  extra: Record<string, string>;
};

export type Observation = {
  ip: string;
  /** Lower-case colon form; null when no MAC is knowable (a host beyond a router). */
  mac: string | null;
  method: string;
  rtt_ms: number | null;
  mac_randomized: boolean;
  vendor: string | null;
  hostname: string | null;
  hostname_source: string | null;
  device_type: string | null;
  /** What decided the type, as the owner reads it ("RTSP port 554 open"). */
  device_type_evidence?: string | null;
  os_name: string | null;
  /** null when this scan did not scan ports (quick profile); [] when it did and found none open. */
  ports: ObservedPort[] | null;
};

/** What the scan covered, so that absence can be told apart from "not looked at". */
export type ScanScope = {
  kind: "network" | "device";
  /** True for a device the scan probed and would have reported (its address targeted, neither excluded). */
  covers: (ip: string, mac: string | null) => boolean;
  /**
   * True for a device inside the scan's subnets that the owner excluded ("never scan"): no longer
   * watched, so a complete network scan stops showing it online (quietly: the owner chose this).
   */
  excludes?: (ip: string, mac: string | null) => boolean;
  /** The TCP ports probed on every found host, or null when no port scan ran. */
  ports: ReadonlySet<number> | null;
  /** The spec those ports came from ("1-1000"), remembered per device to compare like with like. */
  portSpec: string | null;
  /** False for cancelled or partial scans: they must not mark anyone missing. */
  complete: boolean;
  /**
   * The first complete network scan into an empty inventory (decided by the scan manager): its new
   * devices are the baseline, `device_added` as info, announced in one digest.
   */
  baseline?: boolean;
};

export { CHANGE_TYPES, SEVERITIES, type ChangeType, type Severity } from "./enums.ts";

/** A change as reconciliation produces it: the API's Change before it is stored (no id yet). */
export type Change = Omit<StoredChange, "id" | "acknowledged" | "device_name"> & { id?: number; acknowledged?: boolean };
