// The flood cap: how many new devices passive sightings may add per minute on one interface.
// A misbehaving device or an attacker can send frames from thousands of random MACs; each would
// otherwise become a device. Known devices are never capped.
//
// Up to `capPerMinute` new devices a minute are admitted. When a sighting finds the cap reached,
// the interface is "flooding": that first refusal asks for one warning, and from then on new
// devices heard only through ARP or mDNS are refused until `calmMs` pass with the cap no longer
// reached. A device that asks to join (a DHCP request) is still admitted while the minute's cap
// allows. Scans are not capped: anything refused here is found by the next scan if it is real.
//
// A device that completed a DHCP handshake (the server's ACK for its MAC was heard) draws on a
// budget of its own, `capPerMinute` a minute that DISCOVER/REQUEST/ARP noise cannot use, so a real
// newcomer is admitted however long a flood of DHCP requests from random MACs holds the cap.
import type { Admission } from "../inventory/sightings.ts";

export const DEFAULT_CAP_PER_MINUTE = 60;
export const DEFAULT_CALM_MS = 5 * 60_000;
const MINUTE = 60_000;

type Gate = { admitted: number[]; handshakes: number[]; flooding: boolean; warned: boolean; lastPressure: number };

export class FloodGate {
  private readonly gates = new Map<string, Gate>();

  constructor(
    readonly capPerMinute = DEFAULT_CAP_PER_MINUTE,
    private readonly calmMs = DEFAULT_CALM_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * `joining`: the sighting is a DHCP request, the way a real device arrives. `handshake`: the known
   * server's ACK for this MAC was heard, the way a real device is seen to have arrived.
   */
  admit(iface: string, joining: boolean, handshake = false): Admission {
    const now = this.clock();
    const g = this.gate(iface, now);
    if (handshake) {
      // At most `capPerMinute` entries, so dropping expired ones from the front is bounded work.
      while (g.handshakes.length > 0 && now - g.handshakes[0] >= MINUTE) g.handshakes.shift();
      if (g.handshakes.length < this.capPerMinute) {
        g.handshakes.push(now);
        return "admit";
      }
      // More completed handshakes than a LAN makes in a minute: forged, a flood.
      g.flooding = true;
      g.lastPressure = now;
    }
    const full = g.admitted.length >= this.capPerMinute;
    if (full || (g.flooding && !joining)) {
      g.flooding = true;
      g.lastPressure = now;
      if (!g.warned) {
        g.warned = true;
        return "refuse-first";
      }
      return "refuse";
    }
    g.admitted.push(now);
    return "admit";
  }

  /**
   * Whether a newcomer heard only by ARP or mDNS is refused now (the interface is flooding); counts as
   * pressure like a refusal. Lets the watch drop a flood's frames before any work on them.
   */
  refusesNewcomer(iface: string): boolean {
    const now = this.clock();
    const g = this.gate(iface, now);
    if (!g.flooding) return false;
    g.lastPressure = now;
    return true;
  }

  flooding(iface: string): boolean {
    return this.gates.get(iface)?.flooding ?? false;
  }

  /** Whether any interface floods (when none does, nothing needs the flood's early look at a frame). */
  anyFlooding(): boolean {
    for (const g of this.gates.values()) if (g.flooding) return true;
    return false;
  }

  private gate(iface: string, now: number): Gate {
    let g = this.gates.get(iface);
    if (!g) this.gates.set(iface, (g = { admitted: [], handshakes: [], flooding: false, warned: false, lastPressure: 0 }));
    while (g.admitted.length > 0 && now - g.admitted[0] >= MINUTE) g.admitted.shift();
    if (g.flooding && now - g.lastPressure >= this.calmMs) {
      g.flooding = false;
      g.warned = false;
    }
    return g;
  }
}
