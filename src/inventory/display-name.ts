// The one name of a device that people read: change descriptions, notifications, Home Assistant's
// entities, the UI's lists and toasts. The owner's label, else the name the device gave itself,
// else its vendor with its address ("Apple 192.168.1.23"), else its address. Plain code without
// schemas, so the browser bundle uses it too.
//
// A host name is whatever someone on the LAN typed into a device. It reaches the inventory already
// cleaned of invisible characters (src/net/wire-text.ts); this module strips them again for rows
// written before that cleaning, and caps the length, but does not quote: how a device's own name is
// marked depends on where it is shown (messages quote it, src/notify/message.ts), so callers learn
// where the name came from.
import { stripInvisible } from "../net/wire-text.ts";

/** What the name is made of: the label, the host name, the vendor plus IP, or the IP alone. */
export type NameSource = "label" | "hostname" | "vendor" | "ip";

export type NamedDevice = { label?: string | null; hostname?: string | null; vendor?: string | null; ip_address?: string | null };

/** Longest name shown; longer host names end in "…" (a label is at most 64 characters anyway). */
export const DISPLAY_NAME_MAX = 64;

const UNKNOWN = "unknown device";

function clean(text: string | null | undefined): string | null {
  if (!text) return null;
  // Breaks and tabs become spaces first (a name is one line), then what is invisible goes (the BOM,
  // which JavaScript counts as white space, goes rather than splitting a word).
  const s = stripInvisible(text.replace(/[^\S\ufeff]+/g, " ")).replace(/ {2,}/g, " ").trim();
  if (!s) return null;
  const chars = [...s];
  return chars.length > DISPLAY_NAME_MAX ? `${chars.slice(0, DISPLAY_NAME_MAX - 1).join("")}…` : s;
}

/** The device's display name and what it is made of. */
export function deviceNameOf(d: NamedDevice): { name: string; source: NameSource } {
  const label = clean(d.label);
  if (label) return { name: label, source: "label" };
  const hostname = clean(d.hostname);
  if (hostname) return { name: hostname, source: "hostname" };
  const ip = clean(d.ip_address);
  const vendor = clean(d.vendor);
  if (vendor && ip) return { name: `${vendor} ${ip}`, source: "vendor" };
  return { name: ip ?? UNKNOWN, source: "ip" };
}

/** The device's display name: label > host name > vendor plus IP > IP. */
export const deviceDisplayName = (d: NamedDevice): string => deviceNameOf(d).name;

/**
 * The name with the address beside it when the name does not already hold it ("kitchen-tablet
 * (192.168.1.5)"), for descriptions that must say where the device is.
 */
export function nameWithAddress(d: NamedDevice): string {
  const { name, source } = deviceNameOf(d);
  return source === "label" || source === "hostname" ? (d.ip_address ? `${name} (${d.ip_address})` : name) : name;
}
