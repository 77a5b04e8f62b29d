// What a reader keeps of another system's row (src/sources/rows.ts): MACs in one form and only
// unicast ones, addresses that parse, names as one printable line, times in UTC, junk skipped.
import { describe, expect, test } from "bun:test";
import { ipOf, macOf, MAX_ROWS, nameOf, observation, Observations, timeOf } from "../../src/sources/rows.ts";

describe("source rows", () => {
  test("MACs: any case, dashes or colons; never multicast, broadcast, zero or malformed", () => {
    expect(macOf("AA-BB-CC-00-11-22")).toBe("aa:bb:cc:00:11:22");
    expect(macOf("01:00:5e:00:00:01")).toBeNull();
    expect(macOf("ff:ff:ff:ff:ff:ff")).toBeNull();
    expect(macOf("00:00:00:00:00:00")).toBeNull();
    expect(macOf("ip-192.168.1.5")).toBeNull();
    expect(macOf("(incomplete)")).toBeNull();
    expect(macOf(42)).toBeNull();
  });

  test("addresses: strict dotted quads, IPv6 in RFC 5952 form without a zone", () => {
    expect(ipOf("192.168.1.5")).toBe("192.168.1.5");
    expect(ipOf("192.168.01.5")).toBeNull();
    expect(ipOf("0.0.0.0")).toBeNull();
    expect(ipOf("FD00:0:0:0:0:0:0:10")).toBe("fd00::10");
    expect(ipOf("fe80::1%eth0")).toBe("fe80::1");
    expect(ipOf("192.168.1.0/24")).toBeNull();
    expect(ipOf("printer.lan")).toBeNull();
  });

  test("names: one line, no invisible or bidi characters, bounded, and placeholders are no name", () => {
    expect(nameOf("  anna's\tlaptop\r\n")).toBe("anna's laptop");
    expect(nameOf("evil\u202etxt.exe")).toBe("eviltxt.exe");
    expect(nameOf("*")).toBeNull();
    expect(nameOf("\u0007\u200b")).toBeNull();
    expect(nameOf("x".repeat(1000))).toHaveLength(253);
  });

  test("times: epoch seconds, ISO with a zone, zoneless lease times as UTC; zero and absurd ones are none", () => {
    expect(timeOf(1733390000)).toBe("2024-12-05T09:13:20.000Z");
    expect(timeOf("1733390000")).toBe("2024-12-05T09:13:20.000Z");
    expect(timeOf("2024-12-06T10:00:00+01:00")).toBe("2024-12-06T09:00:00.000Z");
    expect(timeOf("2024/12/05 08:00:00")).toBe("2024-12-05T08:00:00.000Z");
    expect(timeOf(0)).toBeNull();
    expect(timeOf("")).toBeNull();
    expect(timeOf("never")).toBeNull();
    expect(timeOf(99_999_999_999)).toBeNull();
  });

  test("a row needs a MAC or an address that checks out", () => {
    expect(observation({ mac: "junk", ip: "junk", hostname: "x" })).toBeNull();
    expect(observation({ mac: "junk", ip: "10.0.0.1", hostname: "x" })).toEqual({ mac: null, ip: "10.0.0.1", hostname: "x" });
  });

  test("rows about the same MAC and address merge; the list stops at MAX_ROWS", () => {
    const out = new Observations();
    out.add(observation({ mac: "3c:07:54:00:00:01", ip: "10.0.0.1", hostname: null, lease_expires_at: 1733390000 }));
    out.add(observation({ mac: "3c:07:54:00:00:01", ip: "10.0.0.1", hostname: "tv", attached_to: "interface LAN" }));
    out.add(null);
    expect(out.list).toEqual([{ mac: "3c:07:54:00:00:01", ip: "10.0.0.1", hostname: "tv", lease_expires_at: "2024-12-05T09:13:20.000Z", attached_to: "interface LAN" }]);
    expect(out.skipped).toBe(1);
    const many = new Observations();
    for (let i = 0; i < MAX_ROWS + 10; i++) many.add({ mac: null, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, hostname: null });
    expect(many.list).toHaveLength(MAX_ROWS);
    expect(many.full).toBe(true);
  });
});
