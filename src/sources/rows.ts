// What a reader keeps of a row another system sent: a MAC in Argus's form, an address that parses,
// a name as one line of printable text, a time as ISO 8601 UTC. A row with neither a usable MAC nor
// a usable address is junk and skipped; a field that does not check out becomes null rather than
// failing the whole read. The framework checks again before storing (types.ts); this keeps readers
// from passing on what they did not understand.
import { isIP } from "node:net";
import { normalizeMac } from "../net/ip.ts";
import { stripInvisible } from "../net/wire-text.ts";
import type { SourceObservation } from "./types.ts";

/** No source a home or office runs holds more hosts; past it a reader stops, so one answer cannot grow memory. */
export const MAX_ROWS = 100_000;
/** DNS allows 253 characters; a label a UI shows needs no more. */
const MAX_NAME = 253;

/** Lower-case colon form of a unicast, non-zero MAC, or null. */
export function macOf(v: unknown): string | null {
  if (typeof v !== "string") return null;
  const m = normalizeMac(v);
  if (m === null || m === "00:00:00:00:00:00") return null;
  // Group (multicast/broadcast) addresses are not hosts.
  if ((parseInt(m.slice(0, 2), 16) & 1) === 1) return null;
  return m;
}

/** An IPv4 address in dotted-quad or an IPv6 address in RFC 5952 form, or null. Zone ids are dropped. */
export function ipOf(v: unknown): string | null {
  if (typeof v !== "string" || v.length > 64) return null;
  const s = v.trim().replace(/%.*$/, "");
  const kind = isIP(s);
  if (kind === 4) return /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(s) && s !== "0.0.0.0" ? s : null;
  if (kind === 6) {
    const h = new URL(`http://[${s}]/`).hostname;
    return h === "[::]" ? null : h.slice(1, -1);
  }
  return null;
}

/** A host name as one line of printable text, or null when nothing is left. */
export function nameOf(v: unknown): string | null {
  if (typeof v !== "string") return null;
  // Line breaks and tabs part words, so they become spaces before the invisible characters go.
  const s = stripInvisible(v.replace(/[\t\n\v\f\r\u2028\u2029]+/g, " ")).replace(/\s+/g, " ").trim();
  if (s === "" || s === "*" || s === "?") return null;
  return s.length > MAX_NAME ? s.slice(0, MAX_NAME) : s;
}

// "2024/05/01 12:00:00" (dhcpd's and OPNsense's lease times) carries no zone and is UTC; so is an ISO time without one.
const ZONELESS = /^(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}:\d{2}:\d{2})$/;

function parseTime(s: string): number {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const z = ZONELESS.exec(s);
  return z ? Date.parse(`${z[1]}-${z[2]}-${z[3]}T${z[4]}Z`) : Date.parse(s);
}

/** Seconds since the epoch (or an ISO/other date string) as ISO 8601 UTC; null when 0, absent or absurd. */
export function timeOf(v: unknown): string | null {
  let ms: number;
  if (typeof v === "number") ms = v * 1000;
  else if (typeof v === "string" && v.trim() !== "") ms = parseTime(v.trim());
  else return null;
  // Before 2000 or after 2100 is a zero, a sentinel or a clock gone wrong, not a time to show.
  if (!Number.isFinite(ms) || ms < 946_684_800_000 || ms > 4_102_444_800_000) return null;
  return new Date(ms).toISOString();
}

/** One observation, or null when neither its MAC nor its address checks out. */
export function observation(row: { mac?: unknown; ip?: unknown; hostname?: unknown; seen_at?: unknown; lease_expires_at?: unknown; attached_to?: string | null }): SourceObservation | null {
  const mac = macOf(row.mac);
  const ip = ipOf(row.ip);
  if (mac === null && ip === null) return null;
  const o: SourceObservation = { mac, ip, hostname: nameOf(row.hostname) };
  if (row.seen_at !== undefined) o.seen_at = timeOf(row.seen_at);
  if (row.lease_expires_at !== undefined) o.lease_expires_at = timeOf(row.lease_expires_at);
  if (row.attached_to !== undefined) o.attached_to = nameOf(row.attached_to);
  return o;
}

/**
 * Collects observations up to MAX_ROWS, skipping nulls (junk rows). Two rows about the same MAC and
 * address (a Pi-hole device and its DHCP lease) become one: the later row fills what the earlier lacks.
 */
export class Observations {
  private readonly byKey = new Map<string, SourceObservation>();
  skipped = 0;
  get full(): boolean {
    return this.byKey.size >= MAX_ROWS;
  }
  get list(): SourceObservation[] {
    return [...this.byKey.values()];
  }
  add(o: SourceObservation | null): void {
    if (o === null) {
      this.skipped++;
      return;
    }
    const key = `${o.mac ?? ""}|${o.ip ?? ""}`;
    const had = this.byKey.get(key);
    if (had) {
      for (const k of Object.keys(o) as (keyof SourceObservation)[]) if (had[k] == null && o[k] != null) (had as any)[k] = o[k];
    } else if (!this.full) this.byKey.set(key, o);
  }
}

/** A plain object's field, or undefined (rows from the wire may be anything). */
export function field(row: unknown, key: string): unknown {
  return row !== null && typeof row === "object" && !Array.isArray(row) ? (row as Record<string, unknown>)[key] : undefined;
}
