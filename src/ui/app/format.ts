// How times, durations and sizes read in the UI.
import { signal } from "@preact/signals";
import type { ChangeType } from "../../inventory/enums.ts";

/** Ticks every 30 s so relative times ("3 min ago") stay true without reloading. */
export const now = signal(Date.now());
setInterval(() => (now.value = Date.now()), 30_000);

export function relative(iso: string, at = now.value): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((at - t) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  let text: string;
  // Within the clock skew between appliance and browser, and the second the API rounds to.
  if (a < 45) return "just now";
  if (a < 3600) text = `${Math.round(a / 60)} min`;
  else if (a < 86_400) text = `${Math.round(a / 3600)} h`;
  else if (a < 86_400 * 45) text = `${Math.round(a / 86_400)} d`;
  else return absolute(iso);
  return future ? `in ${text}` : `${text} ago`;
}

// One formatter for every time on a page: building an Intl formatter per call costs more than the rest of a table row.
const ABSOLUTE = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });

export function absolute(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return ABSOLUTE.format(d);
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 90) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 90) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * `part` of `whole` as a whole percentage that never reads as none or all when it is not: a device
 * online for 4 minutes of 24 h is 1%, not 0%; one offline for a minute is 99%, not 100%.
 */
export function sharePercent(part: number, whole: number): number {
  if (part <= 0 || whole <= 0) return 0;
  if (part >= whole) return 100;
  return Math.min(99, Math.max(1, Math.round((part / whole) * 100)));
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export const humanize = (s: string) => s.replaceAll("_", " ");

const CHANGE_LABELS: Record<ChangeType, string> = {
  device_added: "New device",
  device_removed: "Went offline",
  device_returned: "Back online",
  ip_changed: "IP changed",
  mac_rotated: "MAC rotated",
  mac_changed_for_ip: "MAC changed for IP",
  port_opened: "Port opened",
  port_closed: "Port closed",
  service_changed: "Service changed",
  sighting_flood: "Sighting flood",
  ip_conflict: "IP conflict",
  gateway_changed: "Gateway changed",
  rogue_dhcp_server: "Rogue DHCP server",
  rogue_router_advert: "Rogue router advert",
  address_hopping: "Address hopping",
  identity_conflict: "Identity conflict",
  infrastructure_learned: "Infrastructure learned",
  interface_linked: "Interface linked",
  device_moved: "Moved segment",
  sensor_offline: "Sensor offline",
};

export const changeLabel = (type: string) => CHANGE_LABELS[type as ChangeType] ?? humanize(type);

/**
 * The type label to put before a change's description, or null when the description already opens
 * with it ("New device 192.168.1.7 (Apple)" would read "New device New device …").
 */
export function changeLabelBefore(type: string, description: string): string | null {
  const label = changeLabel(type);
  return description.toLowerCase().startsWith(label.toLowerCase()) ? null : label;
}
