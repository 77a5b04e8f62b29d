// Where the first-run wizard stands once the account exists: an owner who closed the tab after the
// account step is led back to what is left, whoever signs in and from whatever browser. Derived
// from the state itself (networks confirmed, a network scan ever completed), so nothing extra is stored.
import type { Database } from "bun:sqlite";

export const WIZARD_STEPS = ["networks", "first_scan", "done"] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

/**
 * A hub watches no network of its own (its sensors do), so its wizard ends with the account. The
 * first-scan step ends only with a completed network scan, as the first run does (inventory/first-run.ts):
 * a cancelled, failed or interrupted one leaves it to be run again.
 */
export function wizardStep(db: Database, config: { subnets: readonly string[]; role: string }): WizardStep {
  if (config.role === "hub") return "done";
  if (config.subnets.length === 0) return "networks";
  const scanned = db.query("SELECT 1 FROM scans WHERE scan_type = 'network' AND status = 'completed' LIMIT 1").get();
  return scanned ? "done" : "first_scan";
}
