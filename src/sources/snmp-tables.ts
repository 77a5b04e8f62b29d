// The router's neighbour (ARP/NDP) table as IP-MIB publishes it, turned into observations. Plain
// functions over varbinds (OID + value), so the parsing is tested without an agent: the SNMP session
// lives in snmp.ts.
//
// Everything here came from another system: an index that does not parse, a value of the wrong type,
// a MAC that is zero, broadcast or multicast, or a row the agent marks invalid/incomplete is skipped,
// never guessed at.
import { formatIp6 } from "../net/ip6.ts";
import { stripInvisible } from "../net/wire-text.ts";
import type { SourceObservation } from "./types.ts";

/** IP-MIB ipNetToPhysicalEntry (RFC 4293): INDEX { ifIndex, InetAddressType, InetAddress }. */
export const IP_NET_TO_PHYSICAL = "1.3.6.1.2.1.4.35.1";
/** The older, IPv4-only ipNetToMediaEntry (RFC 1213): INDEX { ifIndex, IpAddress }. */
export const IP_NET_TO_MEDIA = "1.3.6.1.2.1.4.22.1";
/** IF-MIB ifName (ifXTable) and ifDescr (ifTable), indexed by ifIndex. */
export const IF_NAME = "1.3.6.1.2.1.31.1.1.1.1";
export const IF_DESCR = "1.3.6.1.2.1.2.2.1.2";

/** The columns read: the physical address, the row's type and (physical table only) its state. */
export const PHYSICAL_COLUMNS = { phys: 4, type: 6, state: 7 } as const;
export const MEDIA_COLUMNS = { phys: 2, type: 4 } as const;

// ipNetToPhysicalType / ipNetToMediaType: invalid(2) marks a row being deleted.
const TYPE_INVALID = 2;
// ipNetToPhysicalState: invalid(5) and incomplete(7) have no usable MAC (resolution failed or pending).
const STATE_UNUSABLE = new Set([5, 7]);

export type Varbind = { oid: string; value: unknown };

/** One neighbour row, keyed by its index; filled column by column as the walk returns them. */
type Row = { ifIndex: number; ip: string; phys?: unknown; type?: unknown; state?: unknown };

/** Rows of a table walk, bounded: `add` says false when a new row would pass `maxRows`. */
export class NeighbourRows {
  private readonly rows = new Map<string, Row>();
  /** Varbinds whose OID or index did not parse; the caller may report a table made only of these. */
  unparsed = 0;
  constructor(
    private readonly table: "physical" | "media",
    private readonly maxRows: number,
  ) {}

  get size(): number {
    return this.rows.size;
  }

  /** Takes one varbind of the table's subtree; false when the row bound is reached. */
  add(vb: Varbind): boolean {
    const base = this.table === "physical" ? IP_NET_TO_PHYSICAL : IP_NET_TO_MEDIA;
    const rest = suffix(vb.oid, base);
    if (rest === null || rest.length < 2) {
      this.unparsed++;
      return true;
    }
    const [column, ...index] = rest;
    const key = index.join(".");
    let row = this.rows.get(key);
    if (!row) {
      const parsed = this.table === "physical" ? physicalIndex(index) : mediaIndex(index);
      if (!parsed) {
        this.unparsed++;
        return true;
      }
      if (this.rows.size >= this.maxRows) return false;
      row = parsed;
      this.rows.set(key, row);
    }
    const cols = this.table === "physical" ? PHYSICAL_COLUMNS : MEDIA_COLUMNS;
    if (column === cols.phys) row.phys = vb.value;
    else if (column === cols.type) row.type = vb.value;
    else if ("state" in cols && column === cols.state) row.state = vb.value;
    return true;
  }

  /** The interfaces the rows sit behind. */
  ifIndexes(): Set<number> {
    return new Set([...this.rows.values()].map((r) => r.ifIndex));
  }

  /** The usable rows as observations, attached to the interface named for their ifIndex. */
  observations(ifNames: Map<number, string>): SourceObservation[] {
    const out: SourceObservation[] = [];
    const seen = new Set<string>();
    for (const row of this.rows.values()) {
      const mac = macOf(row.phys);
      if (mac === null) continue;
      if (row.type !== undefined && row.type === TYPE_INVALID) continue;
      if (typeof row.state === "number" && STATE_UNUSABLE.has(row.state)) continue;
      // The same neighbour can be listed twice (e.g. ipv4 and ipv4z); one observation each.
      const key = `${mac} ${row.ip} ${row.ifIndex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ mac, ip: row.ip, hostname: null, attached_to: ifNames.get(row.ifIndex) ?? null });
    }
    return out;
  }
}

/** The sub-identifiers after `base`, or null when `oid` is not below it or is not numeric. */
export function suffix(oid: string, base: string): number[] | null {
  if (!oid.startsWith(`${base}.`)) return null;
  const parts = oid.slice(base.length + 1).split(".");
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,10}$/.test(p)) return null;
    out.push(Number(p));
  }
  return out;
}

const byte = (n: number) => Number.isInteger(n) && n >= 0 && n <= 255;

/** ifIndex . InetAddressType . length . address octets (InetAddress is not IMPLIED: length first). */
function physicalIndex(index: number[]): Row | null {
  const [ifIndex, type, len, ...addr] = index;
  if (!(ifIndex > 0) || addr.length !== len || !addr.every(byte)) return null;
  // ipv4(1), ipv6(2), and their zoned forms ipv4z(3)/ipv6z(4) which append a 4-octet zone index.
  if ((type === 1 && len === 4) || (type === 3 && len === 8)) return { ifIndex, ip: ipv4Of(addr) };
  if ((type === 2 && len === 16) || (type === 4 && len === 20)) return { ifIndex, ip: formatIp6(Uint8Array.from(addr.slice(0, 16))) };
  return null;
}

/** ifIndex . a . b . c . d */
function mediaIndex(index: number[]): Row | null {
  const [ifIndex, ...addr] = index;
  if (!(ifIndex > 0) || addr.length !== 4 || !addr.every(byte)) return null;
  return { ifIndex, ip: ipv4Of(addr) };
}

function ipv4Of(a: number[]): string {
  return a.slice(0, 4).join(".");
}

/** A 6-octet unicast MAC, lower-case with colons; null for anything else (zero, broadcast, multicast). */
export function macOf(value: unknown): string | null {
  if (!(value instanceof Uint8Array) || value.length !== 6) return null;
  if (value.every((b) => b === 0)) return null;
  // The group bit: broadcast ff:ff:ff:ff:ff:ff and every multicast address have it.
  if ((value[0] & 1) === 1) return null;
  return Array.from(value, (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** ifName or ifDescr values by ifIndex, as printable text (an agent's strings are untrusted too). */
export function interfaceNames(varbinds: Varbind[], base: string, into = new Map<number, string>()): Map<number, string> {
  for (const vb of varbinds) {
    const rest = suffix(vb.oid, base);
    if (rest === null || rest.length !== 1 || !(vb.value instanceof Uint8Array)) continue;
    const name = stripInvisible(new TextDecoder("utf-8", { fatal: false }).decode(vb.value)).trim().slice(0, 64);
    if (name !== "" && !into.has(rest[0])) into.set(rest[0], name);
  }
  return into;
}
