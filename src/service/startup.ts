// The line `argus serve` starts its log with: what this appliance will be able to do. An operator
// reading `journalctl -u argus` (or a terminal) learns in one line whether discovery has raw
// sockets or is degraded, and whether anything will be scanned at all.
import type { AppConfig } from "../config/app-config.ts";
import { degradedNotice } from "../net/errors.ts";
import { pingSocketsAllowed } from "../net/fallback.ts";
import { hasNetRaw } from "./capabilities.ts";

export const NO_SUBNET_NOTICE = "No subnet confirmed: nothing will be scanned until one is confirmed in the setup wizard or config.";

export type StartupReport = { level: "info" | "warn"; message: string; fields: { raw_sockets: "full" | "degraded"; subnets: string } };

export function startupReport(config: Pick<AppConfig, "subnets">, netRaw = hasNetRaw(), icmpDatagram = netRaw || pingSocketsAllowed()): StartupReport {
  const discovery = netRaw ? "Raw sockets available: full discovery (ARP and ICMP sweeps)." : degradedNotice(icmpDatagram);
  const watching = config.subnets.length > 0 ? `Watching ${config.subnets.join(", ")}.` : NO_SUBNET_NOTICE;
  return {
    // A warning only for what is wrong: discovery without raw sockets. No subnet yet is how every
    // appliance starts (the setup wizard asks for one), so that alone is information.
    level: netRaw ? "info" : "warn",
    message: `${discovery} ${watching}`,
    fields: { raw_sockets: netRaw ? "full" : "degraded", subnets: config.subnets.join(",") || "none" },
  };
}
