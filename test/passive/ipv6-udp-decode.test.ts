// The DHCPv6 and IPv6 mDNS decoders (native/sighting.c decode_udp6, decode_dhcp6, decode_mdns) on
// frames built from RFC 8415 / RFC 4704 / RFC 6762 (test/helpers/frames.ts): who sent it, which name
// and which IPv6 address it speaks for, and the frames a host on the LAN could use to lie (a DUID or an
// AAAA record naming another host, lengths past the end, truncations, hostile names).
import { describe, expect, test } from "bun:test";
import { decodeSighting } from "../../src/net/native.ts";
import { dhcp6Frame, dnsName, duidLl, fqdnOption, mdns6Response, rr, udp6Frame, withVlanTag } from "../helpers/frames.ts";

const HOST = "02:11:22:33:44:55";
const OTHER = "02:66:66:66:66:66";
const LL = "fe80::11:22ff:fe33:4455";

describe("DHCPv6 decoder", () => {
  test("a SOLICIT with a client FQDN: the Ethernet source, its link-local address, the FQDN's first label, the DUID's MAC apart", () => {
    const { status, sighting: s } = decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, fqdn: "kitchen-pad.home.arpa" }));
    expect(status).toBe("ok");
    expect(s).toMatchObject({ source: "dhcpv6", mac: HOST, ethSrc: HOST, ip6: LL, hostname: "kitchen-pad", dhcpType: 1, dhcpOp: 1, duidMac: HOST, ip: null, srcIp: null, ndType: 0 });
    expect(s.flags).toEqual(["localAdmin"]);
  });

  test("REQUEST, RENEW, REBIND, CONFIRM and INFORMATION-REQUEST are client messages; a DUID-LL is read too", () => {
    for (const type of [3, 4, 5, 6, 11]) {
      const { status, sighting: s } = decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, type, duid: duidLl(HOST) }));
      expect(status).toBe("ok");
      expect(s).toMatchObject({ source: "dhcpv6", dhcpType: type, duidMac: HOST, hostname: null });
    }
  });

  test("a DUID that names another device's MAC: the sighting is still the sender's, the DUID's MAC only reported", () => {
    const { status, sighting: s } = decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, duid: duidLl(OTHER), fqdn: "spoof" }));
    expect(status).toBe("ok");
    expect(s).toMatchObject({ mac: HOST, ethSrc: HOST, duidMac: OTHER, hostname: "spoof" });
    // A DUID that is not an Ethernet link-layer one (DUID-EN) names no MAC.
    const en = decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, duid: [0, 2, 0, 0, 0x01, 0x37, 1, 2, 3, 4] }));
    expect(en.status).toBe("ok");
    expect(en.sighting.duidMac).toBeNull();
  });

  test("servers' and relays' messages, and messages not to ff02::1:2, are not a client speaking", () => {
    for (const type of [2, 7, 12, 13]) expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, type })).status).toBe("ignored");
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, dstIp: "fe80::1" })).status).toBe("ignored");
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, sport: 547 })).status).toBe("ignored");
    // From :: (no address) or a group address.
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: "::" })).status).toBe("ignored");
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: "ff02::1" })).status).toBe("ignored");
  });

  test("no client identifier, two of them, an empty or oversized DUID, an option past the end: malformed", () => {
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, duid: null })).status).toBe("malformed");
    const second = [0, 1, 0, 10, ...duidLl(OTHER)];
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, extra: second })).status).toBe("malformed");
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, duid: [0, 1] })).status).toBe("malformed");
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, duid: [0, 4, ...new Array(129).fill(7)] })).status).toBe("malformed");
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, extra: [0, 39, 0x01, 0x00, 0, 5] })).status).toBe("malformed");
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, extra: [0, 39] })).status).toBe("malformed");
  });

  test("an FQDN whose first label claims more than the option holds gives no name; an empty one neither", () => {
    const lying = [0, 39, 0, 5, 0, 40, 0x61, 0x62, 0x63];
    const s = decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, extra: lying }));
    expect(s.status).toBe("ok");
    expect(s.sighting.hostname).toBeNull();
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, extra: [0, 39, 0, 2, 0, 0] })).sighting.hostname).toBeNull();
    // A partial FQDN (RFC 4704: no root label) still names the host.
    expect(decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, extra: [0, 39, 0, 5, 1, 3, 0x6e, 0x61, 0x73] })).sighting.hostname).toBe("nas");
  });

  test("hostile names lose their control characters and bidi overrides on the way out", () => {
    const nasty = "evil\u202egpj.exe\u0007\u200b";
    const bytes = [...new TextEncoder().encode(nasty)];
    const opt = [0, 39, 0, 3 + bytes.length, 0, bytes.length, ...bytes, 0];
    const { status, sighting: s } = decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, extra: opt }));
    expect(status).toBe("ok");
    expect(s.hostname).toBe("evilgpj.exe");
    // A name of nothing but invisible characters is no name.
    const blank = [...new TextEncoder().encode("\u200e\u0001")];
    const s2 = decodeSighting(dhcp6Frame({ srcMac: HOST, srcIp: LL, extra: [0, 39, 0, 3 + blank.length, 0, blank.length, ...blank, 0] }));
    expect(s2.sighting.hostname).toBeNull();
  });

  test("truncated at every byte it is never a sighting; the UDP or IPv6 length lying is refused", () => {
    const full = dhcp6Frame({ srcMac: HOST, srcIp: LL, fqdn: "kitchen-pad.home.arpa" });
    for (let n = 0; n < full.length; n++) expect(decodeSighting(full.subarray(0, n)).status).not.toBe("ok");
    const payload = Array.from(full.subarray(14 + 48));
    const udpLong = udp6Frame({ srcMac: HOST, dstMac: "33:33:00:01:00:02", srcIp: LL, dstIp: "ff02::1:2", sport: 546, dport: 547, payload, udpLength: 8 + payload.length + 1 });
    expect(decodeSighting(udpLong).status).toBe("malformed");
    const ipLong = udp6Frame({ srcMac: HOST, dstMac: "33:33:00:01:00:02", srcIp: LL, dstIp: "ff02::1:2", sport: 546, dport: 547, payload, payloadLength: 8 + payload.length + 40 });
    expect(decodeSighting(ipLong).status).toBe("tooShort");
    // Behind one 802.1Q tag it is decoded the same.
    const tagged = decodeSighting(withVlanTag(full, 20));
    expect(tagged.status).toBe("ok");
    expect(tagged.sighting.flags).toContain("vlan");
  });
});

describe("mDNS over IPv6", () => {
  test("an announcement to ff02::fb: the sender's names and services, its IPv6 source, no IPv4 address", () => {
    const { status, sighting: s } = decodeSighting(
      mdns6Response(HOST, LL, [rr.aaaa("printer-6.local", LL), rr.ptr("_ipp._tcp.local", "Printer._ipp._tcp.local"), rr.srv("Printer._ipp._tcp.local", 631, "printer-6.local"), rr.txt("printer-6._device-info._tcp.local", ["model=LaserJet"])]),
    );
    expect(status).toBe("ok");
    expect(s).toMatchObject({ source: "mdns", mac: HOST, ethSrc: HOST, ip6: LL, ip: null, srcIp: null, hostname: "printer-6", services: ["_ipp._tcp"], model: "LaserJet", mdnsResponse: true });
  });

  test("an AAAA record naming another address does not make it the sender's: only the frame's source is", () => {
    const { sighting: s } = decodeSighting(mdns6Response(HOST, "fd00:51::5", [rr.aaaa("other.local", "fd00:51::99")]));
    expect(s.ip6).toBe("fd00:51::5");
    expect(s.auxIp6).toBeNull();
  });

  test("a query says only that the host is there; from :: or a group address it says nothing", () => {
    const q = decodeSighting(mdns6Response(HOST, LL, [], { query: true, questions: [dnsName("_ipp._tcp.local")] }));
    expect(q.status).toBe("ok");
    expect(q.sighting).toMatchObject({ source: "mdns", ip6: LL, hostname: null, mdnsResponse: false });
    expect(decodeSighting(mdns6Response(HOST, "::", [rr.aaaa("x.local", LL)])).status).toBe("ignored");
    expect(decodeSighting(mdns6Response(HOST, "ff02::fb", [rr.aaaa("x.local", LL)])).status).toBe("ignored");
  });

  test("a compression loop or a record past the end is malformed; truncated at every byte never a sighting", () => {
    const loop = udp6Frame({ srcMac: HOST, dstMac: "33:33:00:00:00:fb", srcIp: LL, dstIp: "ff02::fb", sport: 5353, dport: 5353, payload: [0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4] });
    expect(decodeSighting(loop).status).toBe("malformed");
    const full = mdns6Response(HOST, LL, [rr.aaaa("printer-6.local", LL), rr.srv("Printer._ipp._tcp.local", 631, "printer-6.local")]);
    for (let n = 0; n < full.length; n++) expect(decodeSighting(full.subarray(0, n)).status).not.toBe("ok");
  });

  test("hostile host names in AAAA records lose control characters and bidi overrides", () => {
    const name = [5, 0x62, 0x61, 0xe2, 0x80, 0xae, 5, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0]; // "ba\u202e" . local
    const { status, sighting: s } = decodeSighting(mdns6Response(HOST, LL, [{ name, type: 28, rdata: new Array(16).fill(0).map((_, i) => (i === 0 ? 0xfe : i === 1 ? 0x80 : i)) }]));
    expect(status).toBe("ok");
    expect(s.hostname).toBe("ba");
  });

  test("UDP to another port over IPv6 is not watched", () => {
    const other = udp6Frame({ srcMac: HOST, dstMac: "33:33:00:00:00:01", srcIp: LL, dstIp: "ff02::1", sport: 1234, dport: 5678, payload: [1, 2, 3, 4] });
    expect(decodeSighting(other).status).toBe("ignored");
  });
});

// fqdnOption is used by the namespace test; keep its encoding checked here.
test("fqdnOption encodes flags and the wire name", () => {
  expect(fqdnOption("a.b")).toEqual([0, 39, 0, 6, 0, 1, 0x61, 1, 0x62, 0]);
});
