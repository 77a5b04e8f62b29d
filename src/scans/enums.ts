// The scans' enumerations as plain lists: the scan code, the TypeBox schemas (schema.ts) and the UI
// take them from here. No TypeBox, so the browser bundle can import it.

/** SPEC §3: pending → running → completed | failed | cancelled | interrupted. */
export const SCAN_STATUSES = ["pending", "running", "completed", "failed", "cancelled", "interrupted"] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];
/** A scan of the network (its absence counts), or of one device. */
export const SCAN_KINDS = ["network", "device"] as const;
export type ScanKind = (typeof SCAN_KINDS)[number];
/** The phases a running scan reports its progress in. */
export const SCAN_PHASES = ["discovery", "ports", "services", "saving"] as const;
export type Phase = (typeof SCAN_PHASES)[number];
