// The hub asks a sensor to scan its segment (issue 21). The command goes over the broker on
// `<prefix>/<site>/<segment>/commands`, QoS 1, and only the hub's credentials may write there: the
// broker's ACL gives each sensor read access to its own commands topic and nothing else (README,
// "Setting up Mosquitto"). The sensor checks the message, refuses a stale one (a command queued for
// a sensor that was away is not run hours later) and records every command, run or refused, in its
// audit log under the name "hub".
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { Actor, AuditLog } from "../audit/audit-log.ts";
import type { ResolvedConfig } from "../config/resolved.ts";
import type { AppConfig } from "../config/schema.ts";
import type { ScanManager } from "../scans/manager.ts";
import { resolveProfile } from "../portscan/profiles.ts";
import { planScan } from "../scans/plan.ts";
import { PROTOCOL_VERSION } from "./protocol.ts";

export const commandsTopic = (prefix: string, site: string, segment: string) => `${prefix}/${site}/${segment}/commands`;

/** A command older than this when it arrives is refused (audited): the owner asked for a scan now. */
export const COMMAND_TTL_MS = 10 * 60_000;

export const ScanCommand = Type.Object({
  v: Type.Literal(PROTOCOL_VERSION),
  command_id: Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" }),
  kind: Type.Literal("scan"),
  profile: Type.String({ pattern: "^[A-Za-z0-9_-]{1,32}$" }),
  sent_at: Type.String({ maxLength: 40 }),
});
export type ScanCommand = Static<typeof ScanCommand>;

/**
 * Throws ProfileError (field "profile") unless `name` is a profile the hub knows: a built-in one or a
 * custom one in its configuration, as for its own scans. A sensor refuses a profile it lacks; the hub
 * says so at once rather than accept a command that can only fail there.
 */
export function checkScanProfile(name: string, config: AppConfig): void {
  resolveProfile(name, { port_range: config.port_range, custom: config.profiles });
}

export function parseCommand(payload: string): ScanCommand | null {
  try {
    const m = JSON.parse(payload);
    return Value.Check(ScanCommand, m) ? m : null;
  } catch {
    return null;
  }
}

export const HUB_ACTOR: Actor = { username: "hub", ip: null, userAgent: null };

export type CommandOutcome = { ok: true; scan_id: number } | { ok: false; reason: string };

/** Runs a scan command on the sensor (the confirmed subnets, as a scheduled scan) and audits it. */
export function runScanCommand(
  ctx: { config: () => ResolvedConfig; scans: Pick<ScanManager, "start">; audit: Pick<AuditLog, "record"> },
  cmd: ScanCommand,
  now = Date.now(),
): CommandOutcome {
  const details = { profile: cmd.profile, scan_type: "network", trigger: "hub", command_id: cmd.command_id };
  const age = now - Date.parse(cmd.sent_at);
  if (!(age < COMMAND_TTL_MS)) {
    const reason = `the command is stale (sent at ${cmd.sent_at})`;
    ctx.audit.record(HUB_ACTOR, "scan_started", { success: false, details: { ...details, reason } });
    return { ok: false, reason };
  }
  try {
    const started = ctx.scans.start(planScan({ kind: "network", profile: cmd.profile }, ctx.config()));
    ctx.audit.record(HUB_ACTOR, "scan_started", { resource: `scan:${started.scan_id}`, details: { ...details, subnet: started.subnet } });
    return { ok: true, scan_id: started.scan_id };
  } catch (e) {
    // A scan already running, no confirmed subnet, a profile this sensor does not have.
    const reason = e instanceof Error ? e.message : String(e);
    ctx.audit.record(HUB_ACTOR, "scan_started", { success: false, details: { ...details, reason } });
    return { ok: false, reason };
  }
}
