// A queued payload as people read it: a title and a plain-text body (ntfy, Gotify, e-mail, MQTT) and
// an HTML body for e-mail. The webhook sends the payload itself.
import { deviceNameOf, type NamedDevice } from "../inventory/display-name.ts";
import { SEVERITY_RANK, type Severity } from "../inventory/enums.ts";
import type { ChangeType } from "../inventory/observation.ts";
import type { DeviceRecord, Payload } from "./queue.ts";

export type Rendered = { title: string; text: string; html: string; severity: string };

const TITLES: Record<ChangeType, string> = {
  device_added: "New device",
  device_removed: "Device went offline",
  device_returned: "Device is back",
  ip_changed: "Device changed address",
  mac_rotated: "Device rotated its MAC",
  mac_changed_for_ip: "Possible ARP spoofing",
  port_opened: "Port opened",
  port_closed: "Port closed",
  service_changed: "Service changed",
  sighting_flood: "Sighting flood",
  ip_conflict: "IP address conflict",
  gateway_changed: "Gateway MAC changed",
  rogue_dhcp_server: "Rogue DHCP server",
  rogue_router_advert: "Rogue IPv6 router",
  address_hopping: "Device hopping addresses",
  identity_conflict: "Two devices claim to be one",
  infrastructure_learned: "Gateway, DHCP server or IPv6 router learned",
  interface_linked: "Device has another interface",
  device_moved: "Device moved to another segment",
  sensor_offline: "Sensor silent",
};

// A host name is whatever a guest on the LAN typed into their device. In a message it is quoted, and
// nothing of a message can become a link: ntfy and Gotify apps, mail clients and Home Assistant turn
// schemes, `www.`, `a@b.c` and `name.tld/path` into links, so a device called `evil.example/login`
// would put a phishing link into a "New device" alert. Dots before a letter, `://` and `@` are
// bracketed (`evil[.]example/login`); IP addresses and versions (a dot before a digit) stay as they are.
const LINKABLE = /:\/\/|(?<!\[)@(?!\])|[.\u3002\uff0e\uff61](?=\p{L})/gu;

/** `text` with nothing an autolinker would take for a URL, domain or e-mail address (idempotent). */
export function unlinkable(text: string): string {
  return text.replace(LINKABLE, (m) => (m === "://" ? "[:]//" : `[${m}]`));
}

/**
 * A name a device gave itself, as messages show it: quoted and unlinkable, and no markdown link either
 * (`[text](target)` becomes `[text] (target)`, which no markdown renderer takes for a link).
 */
export function deviceGivenName(name: string): string {
  return `“${unlinkable(name.replace(/["“”]/g, "'").replace(/\]\s*\(/g, "] ("))}”`;
}

/**
 * The device's display name (src/inventory/display-name.ts) as messages show it: a name the device
 * gave itself quoted and unlinkable. `ip` stands in when the device is gone (or moved, for a change).
 */
export function displayName(d: NamedDevice | null, ip: string | null): string {
  const { name, source } = deviceNameOf({ ...d, ip_address: ip ?? d?.ip_address });
  return source === "hostname" ? deviceGivenName(name) : name;
}

/** A change's description with the device's own name quoted where it appears, and nothing linkable. */
function describe(description: string, d: DeviceRecord | null): string {
  const h = d?.hostname;
  if (!h) return unlinkable(description);
  // Only where it stands alone: a one-letter name must not be quoted inside every word.
  const alone = new RegExp(`(?<![\\p{L}\\p{N}])${h.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}])`, "gu");
  return unlinkable(description.replace(alone, () => deviceGivenName(h)));
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function render(p: Payload): Rendered {
  if (p.event === "test") {
    return { title: "Argus test message", text: p.message, html: `<p>${escapeHtml(p.message)}</p>`, severity: "info" };
  }
  if (p.event === "change") {
    const c = p.change;
    const title = unlinkable(`Argus: ${TITLES[c.change_type as ChangeType] ?? c.change_type} — ${displayName(p.device, c.device_ip ?? p.device?.ip_address ?? null)}`);
    const lines = [describe(c.description, p.device), `Severity: ${c.severity}`, `Detected: ${c.detected_at}`];
    if (p.device) lines.push(unlinkable(`Device: ${[p.device.ip_address, p.device.mac_address, p.device.vendor, p.device.hostname ? deviceGivenName(p.device.hostname) : null].filter(Boolean).join(", ")}`));
    return { title, text: lines.join("\n"), html: `<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>`, severity: c.severity };
  }
  const n = p.changes.length;
  const where = p.scan ? ` in scan ${p.scan.id} (${p.scan.subnet})` : "";
  const title = p.baseline ? `Argus: first scan found ${n} device${n === 1 ? "" : "s"}${where}` : `Argus: ${n} change${n === 1 ? "" : "s"}${where}`;
  const lines = p.changes.map(({ change, device }) => `[${change.severity}] ${describe(change.description, device)}`);
  const severity = p.changes.reduce((w, { change }) => (rank(change.severity) > rank(w) ? change.severity : w), "info");
  return {
    title,
    text: lines.join("\n"),
    html: `<p>${escapeHtml(title)}</p><ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>`,
    severity,
  };
}

const rank = (s: string) => SEVERITY_RANK[s as Severity] ?? 0;

/** ntfy priority 1–5 and Gotify priority 0–10 by severity. */
export const ntfyPriority = (s: string) => [2, 3, 4, 4, 5][rank(s)];
export const gotifyPriority = (s: string) => [2, 4, 6, 6, 9][rank(s)];
/** ntfy tags (emoji shortcodes shown beside the title). */
export const ntfyTags = (s: string) => [["information_source"], ["large_blue_circle"], ["warning"], ["warning"], ["rotating_light"]][rank(s)].concat(["argus"]);
