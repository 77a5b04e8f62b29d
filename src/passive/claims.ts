// Per-MAC limits of what the passive watch reports, so that one host sending spoofed frames cannot
// turn each frame into an alert (250 frames from one MAC claiming 250 addresses are one `ip_changed`
// and one `address_hopping`, not 249 `ip_changed`). Both maps are bounded: when full, the oldest
// entry makes room (Map keeps insertion order), so the work per frame is O(1) whatever is heard.
import type { Claim } from "../inventory/sightings.ts";

export const CLAIM_WINDOW_MS = 10 * 60_000;
/** Addresses new to a MAC within the window before it is `address_hopping`. */
export const HOPPING_AFTER = 3;
const MAX_ENTRIES = 4096;

type Window = { start: number; claims: number; hopped: boolean };

export class AddressClaims {
  private readonly macs = new Map<string, Window>();

  constructor(
    private readonly windowMs = CLAIM_WINDOW_MS,
    private readonly hoppingAfter = HOPPING_AFTER,
    private readonly clock: () => number = Date.now,
  ) {}

  /** One more address new to this MAC: the first in the window is reported, too many is hopping once. */
  claim(mac: string): Claim {
    const now = this.clock();
    let w = this.macs.get(mac);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, claims: 0, hopped: false };
      this.macs.delete(mac);
      bounded(this.macs).set(mac, w);
    }
    w.claims++;
    if (w.hopped) return "frozen";
    if (w.claims >= this.hoppingAfter) {
      w.hopped = true;
      return "hopping";
    }
    return w.claims === 1 ? "report" : "silent";
  }
}

/** Raises an alert with a given key at most once per window (a rogue DHCP server, a gateway claim). */
export class OnceGate {
  private readonly raised = new Map<string, number>();

  constructor(
    private readonly windowMs = 60 * 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  once(key: string): boolean {
    const now = this.clock();
    const at = this.raised.get(key);
    if (at !== undefined && now - at < this.windowMs) return false;
    this.raised.delete(key);
    bounded(this.raised).set(key, now);
    return true;
  }
}

/** At most `max` alerts of one kind per window, whatever their keys: random senders cannot make an alert flood. */
export class AlertBudget {
  private readonly spent = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly windowMs = 60 * 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  allow(kind: string, max: number): boolean {
    const now = this.clock();
    let b = this.spent.get(kind);
    if (!b || now - b.start >= this.windowMs) {
      b = { start: now, count: 0 };
      this.spent.delete(kind);
      bounded(this.spent).set(kind, b);
    }
    if (b.count >= max) return false;
    b.count++;
    return true;
  }
}

function bounded<K, V>(m: Map<K, V>): Map<K, V> {
  if (m.size >= MAX_ENTRIES) m.delete(m.keys().next().value as K);
  return m;
}
