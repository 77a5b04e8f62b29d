// A sensor's records as the hub keeps them. The sensor's credentials may be in other hands (a
// sensor box on a guest segment), and its text is its LAN's text anyway: names lose invisible and
// control characters as the hub's own wire names do (net/wire-text.ts, sources/apply.ts), and no time
// from the wire is later than the hub's clock: timestamps are compared as text, so one far in the
// future would outrank every true report after it.
import { stripInvisible } from "../net/wire-text.ts";
import type { WireChange, WireDevice, WireScan } from "./protocol.ts";

/** Host names as the hub's other sources keep them (a DNS label's 63). */
const NAME_MAX = 63;
/** A port's banner as the hub keeps it. */
const BANNER_MAX = 512;

/** `raw` without invisible characters, trimmed and cut to `max` characters; null when nothing is left. */
export function cleanText(raw: string | null, max: number): string | null {
  if (raw === null) return null;
  const s = stripInvisible(raw.slice(0, 4 * max)).trim();
  return s === "" ? null : [...s].slice(0, max).join("").trim() || null;
}

/** A port's banner: cleaned line by line (a banner's line breaks are kept, as "\n"), at most BANNER_MAX characters. */
export function cleanBanner(raw: string | null): string | null {
  if (raw === null) return null;
  const lines = raw.slice(0, 4 * BANNER_MAX).split(/\r\n|\r|\n/).map((l) => stripInvisible(l).trimEnd());
  const s = lines.join("\n").trim();
  return s === "" ? null : [...s].slice(0, BANNER_MAX).join("").trim() || null;
}

/** A wire time (ISO-8601 UTC, checked by the schema) no later than `now`. */
export function clampTime(t: string, now: string): string {
  return Date.parse(t) > Date.parse(now) ? now : t;
}

export function cleanDevice(d: WireDevice, now: string): WireDevice {
  const last_seen = clampTime(d.last_seen, now);
  return {
    ...d,
    hostname: cleanText(d.hostname, NAME_MAX),
    hostname_source: cleanText(d.hostname_source, 32),
    vendor: cleanText(d.vendor, 255),
    os_name: cleanText(d.os_name, 255),
    model: cleanText(d.model, 255),
    threat_summary: cleanText(d.threat_summary, 1000),
    first_seen: clampTime(d.first_seen < last_seen ? d.first_seen : last_seen, now),
    last_seen,
    addresses: d.addresses?.map((a) => ({ ...a, first_seen: clampTime(a.first_seen, now), last_seen: clampTime(a.last_seen, now) })),
    names: d.names?.flatMap((n) => {
      const name = cleanText(n.name, 255);
      return name ? [{ ...n, name, last_seen: clampTime(n.last_seen, now) }] : [];
    }),
    ports: d.ports?.map((p) => ({
      ...p,
      service: cleanText(p.service, NAME_MAX),
      product: cleanText(p.product, 255),
      version: cleanText(p.version, 255),
      ...(p.banner !== undefined && { banner: cleanBanner(p.banner) }),
    })),
    // A finding with nothing left to say is not one.
    threats: d.threats?.flatMap((t) => {
      const description = cleanText(t.description, 1000);
      return description ? [{ ...t, description, recommendation: cleanText(t.recommendation, 1000) ?? "", cve_ids: [...new Set(t.cve_ids)] }] : [];
    }),
    mdns_services: d.mdns_services?.flatMap((m) => cleanText(m, 255) ?? []),
    device_type_evidence: d.device_type_evidence === undefined ? undefined : cleanText(d.device_type_evidence, 255),
  };
}

export function cleanChange(c: WireChange, now: string): WireChange {
  return {
    ...c,
    device_ip: cleanText(c.device_ip, 64),
    old_value: cleanText(c.old_value, 1000),
    new_value: cleanText(c.new_value, 1000),
    description: cleanText(c.description, 2000) ?? "",
    detected_at: clampTime(c.detected_at, now),
  };
}

/** A sensor's scan record: its texts cleaned, its times no later than `now` and in order. */
export function cleanScan(s: WireScan, now: string): WireScan {
  const started_at = clampTime(s.started_at, now);
  const finished = s.finished_at === null ? null : clampTime(s.finished_at, now);
  return {
    ...s,
    profile: cleanText(s.profile, 32) ?? "unknown",
    subnet: cleanText(s.subnet, 600) ?? "",
    error: cleanText(s.error, 1000),
    started_at,
    finished_at: finished !== null && finished < started_at ? started_at : finished,
  };
}
