// Short-term memory of what the listener heard, so that a chatty LAN is not a database write per
// frame and a device's DHCP names reach the device even when its address comes from another frame.
//
// - `fresh(s)`: false for a sighting that says nothing new about its MAC since the last one that
//   was written, within `rewriteMs` (the native side already drops exact repeats within seconds;
//   this keeps a known device's "still here" to one write per window).
// - `heard(mac)`: when any frame of this MAC was last read; a known device heard lately cannot be
//   the one behind a new randomised MAC.
// - `withHints(s)`: fills in the hostname and DHCP fingerprint the same MAC gave recently (a
//   DISCOVER names the host before it has an address; its later ARP frames carry no name).
import type { RawSighting } from "../net/native.ts";

export const REWRITE_MS = 5 * 60_000;
const HINT_MS = 10 * 60_000;
const PRUNE_AT = 20_000;
const SEP = "\u0000";

type Hint = { hostname: string | null; prl: string | null; vendorClass: string | null; at: number };

export class SightingMemory {
  private readonly written = new Map<string, { key: string; at: number }>();
  private readonly lastHeard = new Map<string, number>();
  private readonly hints = new Map<string, Hint>();

  constructor(
    private readonly rewriteMs = REWRITE_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  heard(mac: string): number | undefined {
    return this.lastHeard.get(mac);
  }

  note(s: RawSighting): void {
    const now = this.clock();
    this.lastHeard.set(s.mac, now);
    if (s.source === "dhcp" && (s.hostname || s.prl || s.vendorClass)) {
      this.hints.set(s.mac, { hostname: s.hostname, prl: s.prl, vendorClass: s.vendorClass, at: now });
    }
    if (this.lastHeard.size > PRUNE_AT) this.prune(now);
  }

  withHints(s: RawSighting): RawSighting {
    const h = this.hints.get(s.mac);
    if (!h || this.clock() - h.at > HINT_MS) return s;
    return { ...s, hostname: s.hostname ?? h.hostname, prl: s.prl ?? h.prl, vendorClass: s.vendorClass ?? h.vendorClass };
  }

  /** True when this sighting should be written; remembers it as written. */
  fresh(s: RawSighting, ip: string | null): boolean {
    const key = [ip, s.hostname, s.prl, s.vendorClass, s.services.join(","), s.model].join(SEP);
    const now = this.clock();
    const last = this.written.get(s.mac);
    // Sources differ in what they say but an unchanged device is unchanged whichever frame said it.
    if (last && now - last.at < this.rewriteMs && (last.key === key || isSubset(key, last.key))) return false;
    this.written.set(s.mac, { key, at: now });
    return true;
  }

  /** Forget that this MAC was written (it was refused, e.g. by the flood cap): a later frame may try again. */
  forget(mac: string): void {
    this.written.delete(mac);
  }

  private prune(now: number): void {
    for (const [mac, at] of this.lastHeard) if (now - at > HINT_MS) this.lastHeard.delete(mac);
    for (const [mac, w] of this.written) if (now - w.at > this.rewriteMs) this.written.delete(mac);
    for (const [mac, h] of this.hints) if (now - h.at > HINT_MS) this.hints.delete(mac);
  }
}

/** Whether every non-empty field of `key` equals the same field of `than` (an ARP frame after a DHCP one). */
function isSubset(key: string, than: string): boolean {
  const a = key.split(SEP);
  const b = than.split(SEP);
  return a.length === b.length && a.every((v, i) => v === "" || v === b[i]);
}
