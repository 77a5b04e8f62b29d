// Which change goes to which channel (SPEC §5 notifications.rules): change types, minimum severity,
// trusted or untrusted devices, zones, named devices; per-device alerts (SPEC §7 notify_on) that
// reach every channel whatever the rules' severities; per-device mute; quiet hours that hold back all
// but the severities named. Plain functions over a change, its device and the config.
import { NOTIFY_ON_CHANGE, SEVERITY_RANK as RANK, type NotifyOnEvent } from "../inventory/enums.ts";
import type { Change, Severity } from "../inventory/observation.ts";
import type { NotificationsConfig, QuietHours } from "./config.ts";

export const atLeast = (severity: Severity, min: Severity | undefined): boolean => RANK[severity] >= RANK[min ?? "info"];

export const worstOf = (severities: Severity[]): Severity => severities.reduce<Severity>((w, s) => (RANK[s] > RANK[w] ? s : w), "info");

/** What the rules need to know about the device a change is about (null once it has been forgotten). */
export type DeviceFacts = { id: number; is_trusted: boolean; zone: string | null; mac_address: string | null; ip_address: string; notify_on: NotifyOnEvent[] } | null;

/** Whether the device's own alerts (notify_on) ask for this change. */
export function askedByDevice(change: Change, device: DeviceFacts): boolean {
  return (device?.notify_on ?? []).some((e) => NOTIFY_ON_CHANGE[e] === change.change_type);
}

export type Route = { channel: string; digest: boolean };

/**
 * The channels a change goes to. A channel named by several matching rules gets the change once;
 * individually when any of those rules asks for it, else in the scan's digest. A change the device's
 * own notify_on asks for goes to every enabled channel, individually (the owner asked to hear about
 * this one device). A muted device's changes go nowhere, its notify_on included; disabled channels
 * get nothing.
 */
export function routeChange(change: Change, device: DeviceFacts, cfg: NotificationsConfig): Route[] {
  const mac = (change.device_mac ?? device?.mac_address ?? "").toLowerCase();
  const ip = change.device_ip ?? device?.ip_address ?? "";
  // An address names a device only while no MAC does: a muted IP mutes a device without a known MAC
  // (a routed host), never whoever else takes that address with a MAC of its own (a guest claiming
  // it, a conflict, a rogue server), whose changes are exactly what must be heard.
  if (cfg.muted_devices.some((m) => m === mac || (mac === "" && m === ip))) return [];
  const enabled = new Set(cfg.channels.filter((c) => c.enabled !== false).map((c) => c.name));
  const routes = new Map<string, boolean>();
  for (const r of cfg.rules) {
    if (r.change_types && !r.change_types.includes(change.change_type)) continue;
    if (!atLeast(change.severity, r.min_severity)) continue;
    if (r.trusted !== undefined && r.trusted !== null && (device?.is_trusted ?? false) !== r.trusted) continue;
    if (r.zones && !r.zones.includes(device?.zone ?? "")) continue;
    if (r.devices && !r.devices.some((d) => namesDevice(d, change, device, mac))) continue;
    for (const ch of r.channels) {
      if (!enabled.has(ch)) continue;
      const digest = r.digest === true;
      routes.set(ch, routes.has(ch) ? routes.get(ch)! && digest : digest);
    }
  }
  if (askedByDevice(change, device)) for (const ch of enabled) routes.set(ch, false);
  return [...routes].map(([channel, digest]) => ({ channel, digest }));
}

/** A rule's `devices` entry (a device id, or a MAC in the inventory's form) names this change's device. */
function namesDevice(entry: number | string, change: Change, device: DeviceFacts, mac: string): boolean {
  if (typeof entry === "number") return (change.device_id ?? device?.id) === entry;
  return mac !== "" && entry === mac;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When a message of this severity may go out: now, or the end of the quiet hours it falls in.
 * Quiet hours are the appliance's local time (TZ of the service); start > end spans midnight.
 */
export function releaseTime(severity: Severity, quiet: QuietHours | null, now: number): number {
  if (!quiet || atLeast(severity, quiet.min_severity ?? "critical")) return now;
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  if (start === end) return now;
  const d = new Date(now);
  const current = d.getHours() * 60 + d.getMinutes();
  const inside = start < end ? current >= start && current < end : current >= start || current < end;
  if (!inside) return now;
  const release = new Date(now);
  release.setHours(Math.floor(end / 60), end % 60, 0, 0);
  if (release.getTime() <= now) release.setDate(release.getDate() + 1);
  return release.getTime();
}
