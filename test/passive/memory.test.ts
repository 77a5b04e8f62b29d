// The burst memory under a random-MAC flood: a fixed number of records however many MACs were heard,
// O(1) work per frame, and the devices that matter survive the flood (issue 16, item 4).
import { describe, expect, test } from "bun:test";
import type { RawSighting } from "../../src/net/native.ts";
import { KEPT_MAX, PROBATION_MAX, SightingMemory } from "../../src/passive/memory.ts";

const raw = (mac: string, more: Partial<RawSighting> = {}): RawSighting => ({
  source: "arp", mac, ip: "10.0.0.5", auxIp: null, ifindex: 2, flags: [], arpOp: 1, dhcpOp: 0, dhcpType: 0, mdnsResponse: false, seenMs: 0,
  hostname: null, prl: null, vendorClass: null, services: [], model: null, ...more,
});
const macOf = (n: number) => `02:${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, 0x77].map((x) => x.toString(16).padStart(2, "0")).join(":")}`;

describe("sighting memory bound", () => {
  test("a million distinct MACs keep it at its cap; a recorded device is still remembered afterwards", () => {
    let now = 1_000_000;
    // Per-note work is bounded by the structure: it never holds more than its caps, whatever was heard
    // (the old memory walked every map on each note beyond 20,000 MACs; a million notes then never end).
    const m = new SightingMemory(300_000, () => now);
    const laptop = "3c:07:54:00:00:21";
    m.note(raw(laptop, { source: "dhcp", hostname: "annas-laptop" }));
    m.fresh(raw(laptop), "10.0.0.5");
    m.keep(laptop);
    for (let i = 0; i < 1_000_000; i++) {
      const r = raw(macOf(i));
      m.note(r);
      m.fresh(r, "10.0.0.5");
      if (i % 100_000 === 0) now += 1000;
      if (i === 50_000) expect(m.size).toEqual({ probation: PROBATION_MAX, kept: 1 });
    }
    expect(m.size).toEqual({ probation: PROBATION_MAX, kept: 1 });
    expect(m.size.probation + m.size.kept).toBeLessThanOrEqual(PROBATION_MAX + KEPT_MAX);
    // The flood never reached the device that was recorded: heard, its hint and its write remembered.
    expect(m.heard(laptop)).toBe(1_000_000);
    expect(m.withHints(raw(laptop)).hostname).toBe("annas-laptop");
    expect(m.fresh(raw(laptop), "10.0.0.5")).toBe(false);
    // The oldest flood MACs are gone, the latest are there.
    expect(m.heard(macOf(0))).toBeUndefined();
    expect(m.heard(macOf(999_999))).toBe(now);
  }, 60_000);

  test("the kept segment is bounded too: beyond its cap the least recently heard goes back to probation", () => {
    const m = new SightingMemory(300_000, Date.now, 4, 2);
    for (const n of [1, 2, 3]) {
      m.note(raw(macOf(n)));
      m.keep(macOf(n));
    }
    expect(m.size).toEqual({ probation: 1, kept: 2 });
    expect(m.heard(macOf(1))).toBeDefined(); // demoted, not forgotten
    for (const n of [10, 11, 12, 13]) m.note(raw(macOf(n)));
    expect(m.size).toEqual({ probation: 4, kept: 2 });
    expect(m.heard(macOf(1))).toBeUndefined();
    expect(m.heard(macOf(2))).toBeDefined();
    expect(m.heard(macOf(3))).toBeDefined();
  });

  test("expiry is checked on read: an old hint and an old 'heard' are not used", () => {
    let now = 0;
    const m = new SightingMemory(300_000, () => now);
    m.note(raw(macOf(1), { source: "dhcp", hostname: "nas" }));
    expect(m.heard(macOf(1))).toBe(0);
    now = 11 * 60_000;
    expect(m.heard(macOf(1))).toBeUndefined();
    expect(m.withHints(raw(macOf(1))).hostname).toBeNull();
  });

  test("a DHCP ACK for a MAC is remembered as its completed handshake", () => {
    const m = new SightingMemory();
    m.note(raw(macOf(1), { source: "dhcp", dhcpOp: 1, dhcpType: 3 }));
    expect(m.handshake(macOf(1))).toBeUndefined();
    m.note(raw(macOf(1), { source: "dhcp", dhcpOp: 2, dhcpType: 5 }));
    expect(m.handshake(macOf(1))).toBeDefined();
  });
});
