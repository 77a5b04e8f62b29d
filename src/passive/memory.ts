// Short-term memory of what the listener heard, so that a chatty LAN is not a database write per
// frame and a device's DHCP names reach the device even when its address comes from another frame.
//
// - `fresh(s)`: false for a sighting that says nothing new about its MAC since the last one that
//   was written, within `rewriteMs` (the native side already drops exact repeats within seconds;
//   this keeps a known device's "still here" to one write per window).
// - `heard(mac)`: when any frame of this MAC was last read; a known device heard lately cannot be
//   the one behind a new randomised MAC.
// - `withHints(s)`: fills in the hostname and DHCP fingerprint the same MAC gave recently (a
//   DISCOVER or a DHCPv6 SOLICIT names the host before it has an address; its later ARP frames carry no name).
// - `handshake(mac)`: when a DHCP ACK for this MAC was last heard (the flood gate lets a device that
//   completed a handshake in ahead of noise).
//
// Bounded, with O(1) work per frame however many MACs were heard (a flood of random MACs must not
// make every frame walk the memory). One record per MAC in two LRU segments (a map plus a linked list
// in recency order: a touch moves a node to the tail, an eviction drops the head; Map's own insertion
// order is not used because finding its first key after many deletions skips every deleted slot):
// - `probation` (at most PROBATION_MAX MACs): every MAC heard lands here. A flood churns only this one.
// - `kept` (at most KEPT_MAX MACs): MACs whose sightings were recorded (known or admitted devices),
//   promoted by `keep(mac)`. Flood MACs are refused and never promoted, so a flood cannot push a
//   real device out of memory (and so make it look gone, as if it could have rotated its MAC).
// Expiry is checked when a record is read, never by walking the maps. Worst case: KEPT_MAX +
// PROBATION_MAX records of a few hundred bytes each (~25 MB); under a random-MAC flood only the
// probation segment fills (~4 MB).
import type { RawSighting } from "../net/native-listener.ts";

export const REWRITE_MS = 5 * 60_000;
const HINT_MS = 10 * 60_000;
export const PROBATION_MAX = 16_384;
export const KEPT_MAX = 65_536;
const SEP = "\u0000";

type Hint = { hostname: string | null; prl: string | null; vendorClass: string | null; at: number };
type Entry = { heard: number; written: { key: string; at: number } | null; hint: Hint | null; ack: number };

export class SightingMemory {
  private readonly probation: Lru<Entry>;
  private readonly kept: Lru<Entry>;

  constructor(
    private readonly rewriteMs = REWRITE_MS,
    private readonly clock: () => number = Date.now,
    probationMax = PROBATION_MAX,
    keptMax = KEPT_MAX,
  ) {
    this.probation = new Lru(probationMax);
    this.kept = new Lru(keptMax);
  }

  /** How many MACs each segment holds (never more than its maximum). */
  get size(): { probation: number; kept: number } {
    return { probation: this.probation.size, kept: this.kept.size };
  }

  /** Whether this MAC's sightings were recorded lately (it is a known or admitted device). */
  isKept(mac: string): boolean {
    return this.kept.get(mac) !== undefined;
  }

  heard(mac: string): number | undefined {
    const e = this.peek(mac);
    return e && this.clock() - e.heard <= HINT_MS ? e.heard : undefined;
  }

  /** When a DHCP ACK handed this MAC an address, if within the hint window. */
  handshake(mac: string): number | undefined {
    const e = this.peek(mac);
    return e && e.ack > 0 && this.clock() - e.ack <= HINT_MS ? e.ack : undefined;
  }

  note(s: RawSighting): void {
    const now = this.clock();
    const e = this.touch(s.mac);
    e.heard = now;
    if (s.source === "dhcp" && s.dhcpOp === 2 && s.dhcpType === 5) e.ack = now;
    if (s.source === "dhcp" && (s.hostname || s.prl || s.vendorClass)) {
      e.hint = { hostname: s.hostname, prl: s.prl, vendorClass: s.vendorClass, at: now };
    }
    // A DHCPv6 client names itself (its FQDN) but says nothing of the DHCPv4 fingerprint: keep that.
    if (s.source === "dhcpv6" && s.hostname) e.hint = { hostname: s.hostname, prl: e.hint?.prl ?? null, vendorClass: e.hint?.vendorClass ?? null, at: now };
  }

  withHints(s: RawSighting): RawSighting {
    const h = this.peek(s.mac)?.hint;
    if (!h || this.clock() - h.at > HINT_MS) return s;
    return { ...s, hostname: s.hostname ?? h.hostname, prl: s.prl ?? h.prl, vendorClass: s.vendorClass ?? h.vendorClass };
  }

  /** True when this sighting should be written; remembers it as written. */
  fresh(s: RawSighting, ip: string | null): boolean {
    const key = [ip, s.hostname, s.prl, s.vendorClass, s.services.join(","), s.model].join(SEP);
    const now = this.clock();
    const e = this.peek(s.mac) ?? this.touch(s.mac);
    const last = e.written;
    // Sources differ in what they say but an unchanged device is unchanged whichever frame said it.
    if (last && now - last.at < this.rewriteMs && (last.key === key || isSubset(key, last.key))) return false;
    e.written = { key, at: now };
    return true;
  }

  /** Forget that this MAC was written (it was refused, e.g. by the flood cap): a later frame may try again. */
  forget(mac: string): void {
    const e = this.peek(mac);
    if (e) e.written = null;
  }

  /** This MAC's sightings were recorded (a known or admitted device): keep it out of the flood's reach. */
  keep(mac: string): void {
    const e = this.probation.take(mac);
    if (!e) return;
    // The least recently heard kept MAC goes back to probation rather than out of memory.
    const demoted = this.kept.put(mac, e);
    if (demoted) this.probation.put(demoted.key, demoted.value);
  }

  private peek(mac: string): Entry | undefined {
    return this.kept.get(mac) ?? this.probation.get(mac);
  }

  /** The MAC's record, created if new, moved to the recent end of its segment. */
  private touch(mac: string): Entry {
    const k = this.kept.get(mac);
    if (k) {
      this.kept.bump(mac);
      return k;
    }
    let e = this.probation.get(mac);
    if (e) this.probation.bump(mac);
    else this.probation.put(mac, (e = { heard: 0, written: null, hint: null, ack: 0 }));
    return e;
  }
}

type Node<V> = { key: string; value: V; prev: Node<V> | null; next: Node<V> | null };

/** A map of at most `max` entries in recency order; every operation is O(1). */
class Lru<V> {
  private readonly nodes = new Map<string, Node<V>>();
  private head: Node<V> | null = null;
  private tail: Node<V> | null = null;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.nodes.size;
  }

  get(key: string): V | undefined {
    return this.nodes.get(key)?.value;
  }

  /** Moves the key to the recent end. */
  bump(key: string): void {
    const n = this.nodes.get(key);
    if (!n || n === this.tail) return;
    this.unlink(n);
    this.append(n);
  }

  /** Adds a new key at the recent end; returns the entry evicted to make room, if any. */
  put(key: string, value: V): { key: string; value: V } | null {
    const n: Node<V> = { key, value, prev: null, next: null };
    this.nodes.set(key, n);
    this.append(n);
    if (this.nodes.size <= this.max || !this.head) return null;
    const old = this.head;
    this.unlink(old);
    this.nodes.delete(old.key);
    return { key: old.key, value: old.value };
  }

  /** Removes the key and returns its value. */
  take(key: string): V | undefined {
    const n = this.nodes.get(key);
    if (!n) return undefined;
    this.unlink(n);
    this.nodes.delete(key);
    return n.value;
  }

  private append(n: Node<V>): void {
    n.prev = this.tail;
    n.next = null;
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
  }

  private unlink(n: Node<V>): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = null;
  }
}

/** Whether every non-empty field of `key` equals the same field of `than` (an ARP frame after a DHCP one). */
function isSubset(key: string, than: string): boolean {
  const a = key.split(SEP);
  const b = than.split(SEP);
  return a.length === b.length && a.every((v, i) => v === "" || v === b[i]);
}
