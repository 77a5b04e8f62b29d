// How a schedule entry starts a scan: the same path as POST /api/scan/trigger without `subnet`
// (the confirmed subnets, the profile resolved against the configuration, one scan at a time),
// recorded in the audit log under the name "scheduler".
import type { Actor, AuditLog } from "../audit/audit-log.ts";
import type { ResolvedConfig } from "../config/resolved.ts";
import type { ScanManager } from "../scans/manager.ts";
import { planScan } from "../scans/plan.ts";

export const SCHEDULER_ACTOR: Actor = { username: "scheduler", ip: null, userAgent: null };

/** Starts a network scan of the confirmed subnets; throws ScanBusyError while another scan runs. */
export function startScheduledScan(
  // The parts of the app context it uses (src/app-context.ts builds the scheduler with them).
  ctx: { config: () => ResolvedConfig; scans: Pick<ScanManager, "start">; audit: Pick<AuditLog, "record"> },
  profileName: string,
): { scan_id: number; profile: string; subnet: string } {
  // No subnet given: the confirmed ones (planScan refuses when none is, as for the API and the CLI).
  const started = ctx.scans.start(planScan({ kind: "network", profile: profileName }, ctx.config()));
  ctx.audit.record(SCHEDULER_ACTOR, "scan_started", {
    resource: `scan:${started.scan_id}`,
    details: { profile: started.profile, subnet: started.subnet, scan_type: "network", trigger: "schedule" },
  });
  return started;
}
