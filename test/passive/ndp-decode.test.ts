// The IPv6 neighbour discovery decoder (native/sighting.c decode_ndp) on frames built from RFC 4861
// (test/helpers/frames.ts ndpFrame): who sent it, which address it speaks for, and the frames a
// host on the LAN could use to lie (forwarded, wrapped in extension headers, fragmented, naming another MAC).
import { describe, expect, test } from "bun:test";
import { decodeSighting } from "../../src/net/native.ts";
import { ndpFrame, withVlanTag } from "../helpers/frames.ts";

const HOST = "02:11:22:33:44:55";

describe("NDP decoder", () => {
  test("Neighbor Solicitation: the sender's MAC and IPv6 source, checked against its source link-layer option", () => {
    const { status, sighting: s } = decodeSighting(ndpFrame({ type: 135, srcMac: HOST, srcIp: "fe80::11:22ff:fe33:4455", target: "fe80::1", lla: HOST }));
    expect(status).toBe("ok");
    expect(s).toMatchObject({ source: "ndp", mac: HOST, ethSrc: HOST, ip6: "fe80::11:22ff:fe33:4455", auxIp6: null, ndType: 135, ndRouter: false, ip: null, srcIp: null });
    expect(s.flags).toEqual(["localAdmin"]);
  });

  test("Neighbor Advertisement with the override flag: its target is the sender's own address", () => {
    const { status, sighting: s } = decodeSighting(ndpFrame({ type: 136, srcMac: HOST, srcIp: "fe80::5", target: "fd00:1::5", lla: HOST, naFlags: 0x60 }));
    expect(status).toBe("ok");
    expect(s).toMatchObject({ source: "ndp", mac: HOST, ip6: "fe80::5", auxIp6: "fd00:1::5", ndType: 136, ndRouter: false });
  });

  test("a proxy's Neighbor Advertisement (override clear) does not speak for its target", () => {
    const { sighting: s } = decodeSighting(ndpFrame({ type: 136, srcMac: HOST, srcIp: "fe80::5", target: "fd00:1::99", naFlags: 0x40 }));
    expect(s.ip6).toBe("fe80::5");
    expect(s.auxIp6).toBeNull();
  });

  test("Router Solicitation, and Router Advertisement flagged as from a router", () => {
    const rs = decodeSighting(ndpFrame({ type: 133, srcMac: HOST, srcIp: "fe80::5", dstIp: "ff02::2" }));
    expect(rs.status).toBe("ok");
    expect(rs.sighting).toMatchObject({ ndType: 133, ndRouter: false, ip6: "fe80::5" });
    const ra = decodeSighting(ndpFrame({ type: 134, srcMac: "00:1d:0f:00:00:01", srcIp: "fe80::1", lla: "00:1d:0f:00:00:01" }));
    expect(ra.status).toBe("ok");
    expect(ra.sighting).toMatchObject({ ndType: 134, ndRouter: true, ip6: "fe80::1", mac: "00:1d:0f:00:00:01" });
    const naRouter = decodeSighting(ndpFrame({ type: 136, srcMac: HOST, srcIp: "fe80::1", naFlags: 0xa0 }));
    expect(naRouter.sighting.ndRouter).toBe(true);
  });

  test("behind an 802.1Q tag it decodes the same, flagged vlan", () => {
    const { status, sighting: s } = decodeSighting(withVlanTag(ndpFrame({ type: 135, srcMac: HOST, srcIp: "fe80::5" }), 10));
    expect(status).toBe("ok");
    expect(s.ip6).toBe("fe80::5");
    expect(s.flags).toContain("vlan");
  });

  test("a link-layer option naming another MAC makes the frame a spoofing hint, not evidence for the sender", () => {
    const { status, sighting: s } = decodeSighting(ndpFrame({ type: 136, srcMac: HOST, srcIp: "fe80::5", lla: "02:66:66:66:66:66" }));
    expect(status).toBe("ok");
    expect(s.ethSrc).toBe(HOST);
    expect(s.mac).toBe("02:66:66:66:66:66");
    expect(s.flags).toContain("diffFrameAddr");
  });

  test("a hop limit below 255 (forwarded from another link) is ignored", () => {
    expect(decodeSighting(ndpFrame({ type: 135, srcMac: HOST, srcIp: "fe80::5", hopLimit: 254 })).status).toBe("ignored");
    expect(decodeSighting(ndpFrame({ type: 134, srcMac: HOST, srcIp: "fe80::1", hopLimit: 64 })).status).toBe("ignored");
  });

  // Hosts accept NDP behind these headers (a rogue RA wrapped in a Destination Options header still
  // configures Linux with accept_ra=2), so the decoder walks them as a host does and flags the frame.
  const RA = { type: 134, srcMac: "06:66:00:00:00:01", srcIp: "fe80::66", lla: "06:66:00:00:00:01" } as const;
  test("a Router Advertisement behind Hop-by-Hop, Destination Options and Routing chains decodes, flagged ndExtHeaders", () => {
    const chains = [[0], [60], [43], [0, 60], [60, 43, 60], [0, 43, 60]];
    for (const chain of chains) {
      const { status, sighting: s } = decodeSighting(ndpFrame({ ...RA, extHeaders: chain.map((type) => ({ type })) }));
      expect({ chain, status }).toEqual({ chain, status: "ok" });
      expect(s).toMatchObject({ source: "ndp", ndType: 134, ndRouter: true, ndExtHeaders: true, ip6: "fe80::66", ethSrc: RA.srcMac, mac: RA.srcMac });
    }
    // A longer header (len 2: 24 bytes) is skipped by its length, not as 8 bytes.
    expect(decodeSighting(ndpFrame({ ...RA, extHeaders: [{ type: 60, len: 2 }] })).sighting).toMatchObject({ ndType: 134, ndExtHeaders: true });
    // Plain NDP is not flagged.
    expect(decodeSighting(ndpFrame(RA)).sighting).toMatchObject({ ndType: 134, ndExtHeaders: false });
  });

  test("NS and NA behind a Destination Options header decode the same: evidence for the Ethernet source alone", () => {
    const na = decodeSighting(ndpFrame({ type: 136, srcMac: HOST, srcIp: "fe80::5", target: "fd00:1::5", lla: HOST, naFlags: 0x60, extHeaders: [{ type: 60 }] }));
    expect(na.status).toBe("ok");
    expect(na.sighting).toMatchObject({ ndType: 136, ndExtHeaders: true, mac: HOST, ethSrc: HOST, ip6: "fe80::5", auxIp6: "fd00:1::5" });
    const lying = decodeSighting(ndpFrame({ type: 136, srcMac: HOST, srcIp: "fe80::5", target: "fd00:1::5", lla: "02:66:66:66:66:66", naFlags: 0x60, extHeaders: [{ type: 60 }] }));
    expect(lying.sighting).toMatchObject({ ethSrc: HOST, mac: "02:66:66:66:66:66", ndExtHeaders: true });
    expect(lying.sighting.flags).toContain("diffFrameAddr");
    const ns = decodeSighting(ndpFrame({ type: 135, srcMac: HOST, srcIp: "fe80::5", extHeaders: [{ type: 0 }, { type: 60 }] }));
    expect(ns.sighting).toMatchObject({ ndType: 135, ndExtHeaders: true, ip6: "fe80::5" });
  });

  test("a Fragment header anywhere in the chain: not NDP (RFC 6980), ignored", () => {
    expect(decodeSighting(ndpFrame({ ...RA, extHeaders: [{ type: 44 }] })).status).toBe("ignored");
    expect(decodeSighting(ndpFrame({ ...RA, extHeaders: [{ type: 60 }, { type: 44 }] })).status).toBe("ignored");
    expect(decodeSighting(ndpFrame({ ...RA, extHeaders: [{ type: 0 }, { type: 43 }, { type: 44 }, { type: 60 }] })).status).toBe("ignored");
  });

  test("Hop-by-Hop anywhere but first (hosts drop it, RFC 8200 4.1) and a hop limit below 255 behind headers are ignored", () => {
    expect(decodeSighting(ndpFrame({ ...RA, extHeaders: [{ type: 60 }, { type: 0 }] })).status).toBe("ignored");
    expect(decodeSighting(ndpFrame({ ...RA, extHeaders: [{ type: 60 }], hopLimit: 254 })).status).toBe("ignored");
  });

  test("a long chain is walked as far as the frame goes (hosts set no count limit), and one running past the payload is refused", () => {
    const long = ndpFrame({ ...RA, extHeaders: Array.from({ length: 40 }, () => ({ type: 60 })) });
    expect(decodeSighting(long)).toMatchObject({ status: "ok", sighting: { ndType: 134, ndExtHeaders: true } });
    // Its last header claims 2 KiB: past the payload.
    const past = Uint8Array.from(ndpFrame({ ...RA, extHeaders: [{ type: 60 }, { type: 60 }, { type: 60 }] }));
    past[14 + 40 + 16 + 1] = 0xff;
    expect(decodeSighting(past).status).toBe("tooShort");
  });

  test("truncated at every byte of the extension headers, and with a payload length ending inside them: refused without reading past the end", () => {
    const f = ndpFrame({ ...RA, extHeaders: [{ type: 0 }, { type: 43, len: 1 }, { type: 60 }] });
    const icmp = 14 + 40 + 8 + 16 + 8;
    for (let cut = 14 + 40; cut < icmp + 16; cut++) {
      expect({ cut, status: decodeSighting(f.subarray(0, cut)).status }).toEqual({ cut, status: "tooShort" });
      const short = Uint8Array.from(f);
      short[14 + 4] = (cut - 14 - 40) >> 8;
      short[14 + 5] = (cut - 14 - 40) & 0xff;
      expect({ cut, status: decodeSighting(short).status }).toEqual({ cut, status: "tooShort" });
    }
    expect(decodeSighting(f).status).toBe("ok");
  });

  test("duplicate address detection (source ::), other ICMPv6 types and a nonzero code are ignored", () => {
    expect(decodeSighting(ndpFrame({ type: 135, srcMac: HOST, srcIp: "::", target: "fe80::5" })).status).toBe("ignored");
    expect(decodeSighting(ndpFrame({ type: 137, srcMac: HOST, srcIp: "fe80::5" })).status).toBe("ignored");
    expect(decodeSighting(ndpFrame({ type: 135, srcMac: HOST, srcIp: "fe80::5", code: 1 })).status).toBe("ignored");
  });

  test("truncated frames and lying lengths are refused without reading past the end", () => {
    const ns = ndpFrame({ type: 135, srcMac: HOST, srcIp: "fe80::5", lla: HOST });
    // Ethernet 14 + IPv6 40 + NS 24 + option 8.
    expect(ns.length).toBe(86);
    expect(decodeSighting(ns.subarray(0, 14 + 39)).status).toBe("tooShort");
    expect(decodeSighting(ns.subarray(0, 14 + 40 + 23)).status).toBe("tooShort");
    expect(decodeSighting(ns.subarray(0, 14 + 40 + 24 + 4)).status).toBe("tooShort");
    expect(decodeSighting(ndpFrame({ type: 135, srcMac: HOST, srcIp: "fe80::5", payloadLength: 0xffff })).status).toBe("tooShort");
    const zeroOpt = Uint8Array.from(ns);
    zeroOpt[14 + 40 + 24 + 1] = 0;
    expect(decodeSighting(zeroOpt).status).toBe("malformed");
    const longOpt = Uint8Array.from(ns);
    longOpt[14 + 40 + 24 + 1] = 2;
    expect(decodeSighting(longOpt).status).toBe("malformed");
    const v4 = Uint8Array.from(ns);
    v4[14] = 0x40;
    expect(decodeSighting(v4).status).toBe("malformed");
  });

  test("Ethernet padding after the IPv6 payload is not read as options", () => {
    const rs = ndpFrame({ type: 133, srcMac: HOST, srcIp: "fe80::5" });
    const padded = Uint8Array.from([...rs, 0xff, 0xff, 0xff]);
    expect(decodeSighting(padded).status).toBe("ok");
  });
});
