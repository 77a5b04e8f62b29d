// The IPv6 sweep's answers as native/probe6.c decodes them (argus_decode_nd6_reply): an echo reply
// counts only when it carries our identifier and payload, a neighbour advertisement only with hop
// limit 255, the override flag and a link-layer option (if any) naming the Ethernet source; the
// evidence is always for the Ethernet source alone.
import { describe, expect, test } from "bun:test";
import { echo6ReplyFrame, ndpFrame, withVlanTag } from "../helpers/frames.ts";
import { decodeNd6Reply } from "../../src/net/native-probe6.ts";
import { parseIp6, formatIp6 } from "../../src/net/ip6.ts";

const US = "02:00:00:00:00:01";
const HOST = "02:11:22:33:44:55";
const ID = 0x1234;
const echo = (o: Partial<Parameters<typeof echo6ReplyFrame>[0]> = {}) => echo6ReplyFrame({ srcMac: HOST, dstMac: US, srcIp: "fd00:51::a", dstIp: "fd00:51::1", id: ID, ...o });
const advert = (o: Partial<Parameters<typeof ndpFrame>[0]> = {}) =>
  ndpFrame({ type: 136, srcMac: HOST, dstMac: US, srcIp: "fe80::a", dstIp: "fe80::1", target: "fd00:51::a", lla: HOST, naFlags: 0x60, ...o });

describe("IPv6 sweep answers", () => {
  test("an echo reply with our identifier and payload speaks for its source address, for the Ethernet source's MAC", () => {
    expect(decodeNd6Reply(echo(), ID)).toEqual({ address: "fd00:51::a", mac: HOST, kind: "echo", router: false });
    expect(decodeNd6Reply(echo({ srcIp: "fe80::a" }), ID)?.address).toBe("fe80::a");
  });

  test("an echo reply to someone else's echo (another identifier, another payload) is no answer", () => {
    expect(decodeNd6Reply(echo(), ID + 1)).toBeNull();
    expect(decodeNd6Reply(echo({ magic: [1, 2, 3, 4] }), ID)).toBeNull();
  });

  test("a neighbour advertisement speaks for its target, with the router flag", () => {
    expect(decodeNd6Reply(advert(), ID)).toEqual({ address: "fd00:51::a", mac: HOST, kind: "advert", router: false });
    expect(decodeNd6Reply(advert({ naFlags: 0xe0 }), ID)?.router).toBe(true);
    // No link-layer option: the Ethernet source is the sender.
    expect(decodeNd6Reply(advert({ lla: undefined }), ID)?.mac).toBe(HOST);
  });

  test("an advertisement without the override flag (a proxy), forwarded, or naming another MAC is no evidence", () => {
    expect(decodeNd6Reply(advert({ naFlags: 0x40 }), ID)).toBeNull();
    expect(decodeNd6Reply(advert({ hopLimit: 254 }), ID)).toBeNull();
    expect(decodeNd6Reply(advert({ lla: "02:66:66:66:66:66" }), ID)).toBeNull();
    expect(decodeNd6Reply(advert({ target: "ff02::1" }), ID)).toBeNull();
    expect(decodeNd6Reply(advert({ nextHeader: 0 }), ID)).toBeNull();
  });

  test("a group MAC as sender, a VLAN tag, or a multicast source address is no answer", () => {
    expect(decodeNd6Reply(echo({ srcMac: "33:33:00:00:00:01" }), ID)).toBeNull();
    expect(decodeNd6Reply(withVlanTag(echo(), 7), ID)).toBeNull();
    expect(decodeNd6Reply(echo({ srcIp: "ff02::1" }), ID)).toBeNull();
  });

  test("every truncation is refused without reading past the end", () => {
    for (const f of [echo(), advert()]) {
      const full = f.findLastIndex((b) => b !== 0) + 1;
      for (let n = 0; n < Math.min(full, 78); n++) expect(decodeNd6Reply(f.subarray(0, n), ID)).toBeNull();
    }
  });

  test("IPv6 text round-trips through its 16 bytes", () => {
    for (const a of ["fe80::a", "fd00:51::1", "2001:db8::1:0:0:1", "::1", "1:2:3:4:5:6:7:8"]) expect(formatIp6(parseIp6(a)!)).toBe(a);
    for (const bad of ["fe80::1::2", "1:2:3", "fe80::g", "1:2:3:4:5:6:7:8:9", "::ffff:1.2.3.4"]) expect(parseIp6(bad)).toBeNull();
    expect(formatIp6(parseIp6("fe80::a%eth0")!)).toBe("fe80::a");
  });
});
