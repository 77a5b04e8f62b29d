// Where the first-run wizard stands once the account exists: an owner who closed the tab after the
// account step is led back to what is left, whoever signs in and from whatever browser. Derived
// from the state itself (networks confirmed, a network scan ever started), so nothing extra is stored.
import type { Database } from "bun:sqlite";

export const WIZARD_STEPS = ["networks", "first_scan", "done"] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

export function wizardStep(db: Database, confirmedSubnets: readonly string[]): WizardStep {
  if (confirmedSubnets.length === 0) return "networks";
  const scanned = db.query("SELECT 1 FROM scans WHERE scan_type = 'network' LIMIT 1").get();
  return scanned ? "done" : "first_scan";
}
