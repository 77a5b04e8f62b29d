// The passive decoders (native/sighting.c) on frames built from the RFCs: what a DHCP request, an
// mDNS announcement and a gratuitous ARP say about their sender, and hostile frames rejected
// without reading past the end (the sanitizer replay in test/net/sanitize.test.ts runs the same
// corpus under ASan/UBSan).
import { describe, expect, test } from "bun:test";
import { decodeSighting, NativeListener } from "../../src/net/native.ts";
import { dhcpFrame, gratuitousArp, mdnsResponse, rr, udpFrame } from "../helpers/frames.ts";
import { passiveCorpus } from "./corpus.ts";

describe("passive decoders", () => {
  test("DHCP REQUEST: client MAC, message type, requested IP, hostname, PRL, vendor class", () => {
    const { status, sighting: s } = decodeSighting(dhcpFrame("3c:07:54:01:02:03", { type: 3, hostname: "laptop", requested: "10.0.0.5", prl: [1, 121, 3, 6, 15, 119, 252], vendor: "MSFT 5.0" }));
    expect(status).toBe("ok");
    expect(s).toMatchObject({ source: "dhcp", mac: "3c:07:54:01:02:03", dhcpType: 3, dhcpOp: 1, ip: null, auxIp: "10.0.0.5", hostname: "laptop", prl: "1,121,3,6,15,119,252", vendorClass: "MSFT 5.0" });
  });

  test("DHCP from a client that has an address uses ciaddr", () => {
    const { sighting: s } = decodeSighting(dhcpFrame("3c:07:54:01:02:03", { type: 3, ciaddr: "10.0.0.5" }));
    expect(s.ip).toBe("10.0.0.5");
  });

  test("a server's OFFER and ACK are passed up with the server's identity: option 54, Ethernet and IPv4 source", () => {
    for (const type of [2, 5, 6]) {
      const { status, sighting: s } = decodeSighting(dhcpFrame("3c:07:54:01:02:03", { type, srcMac: "00:1d:0f:00:00:01", srcIp: "10.0.0.1", reply: { yiaddr: "10.0.0.50", serverId: "10.0.0.1" } }));
      expect(status).toBe("ok");
      expect(s).toMatchObject({ source: "dhcp", dhcpOp: 2, dhcpType: type, mac: "3c:07:54:01:02:03", ethSrc: "00:1d:0f:00:00:01", srcIp: "10.0.0.1", serverId: "10.0.0.1", ip: "10.0.0.50" });
    }
    // Other server replies (a DHCPLEASEQUERY answer, type 10) say nothing we use.
    expect(decodeSighting(dhcpFrame("3c:07:54:01:02:03", { type: 10, reply: { yiaddr: "10.0.0.50" } })).status).toBe("ignored");
    // Option 54 of the wrong size is not a server identifier.
    expect(decodeSighting(dhcpFrame("3c:07:54:01:02:03", { type: 5, reply: { yiaddr: "10.0.0.50" }, extra: [54, 2, 10, 0] })).sighting.serverId).toBeNull();
  });

  test("a DHCP message's chaddr and its Ethernet source are both reported (they differ in a spoofed INFORM)", () => {
    const { status, sighting: s } = decodeSighting(dhcpFrame("3c:07:54:01:02:03", { type: 8, srcMac: "02:66:66:66:66:66", ciaddr: "10.0.0.66", hostname: "victim" }));
    expect(status).toBe("ok");
    expect(s).toMatchObject({ mac: "3c:07:54:01:02:03", ethSrc: "02:66:66:66:66:66", srcIp: "10.0.0.66", serverId: null, hostname: "victim" });
    expect(decodeSighting(dhcpFrame("3c:07:54:01:02:03", { type: 3 })).sighting).toMatchObject({ mac: "3c:07:54:01:02:03", ethSrc: "3c:07:54:01:02:03", srcIp: null });
  });

  test("mDNS announcement: host name, service types, _device-info model", () => {
    const { status, sighting: s } = decodeSighting(
      mdnsResponse("00:11:32:aa:bb:cc", "10.0.0.7", [
        rr.a("NAS.local", "10.0.0.7"),
        rr.ptr("_smb._tcp.local", "NAS._smb._tcp.local"),
        rr.ptr("_services._dns-sd._udp.local", "_afpovertcp._tcp.local"),
        rr.srv("NAS._smb._tcp.local", 445, "NAS.local"),
        rr.txt("NAS._device-info._tcp.local", ["model=DS920+", "other=1"]),
      ]),
    );
    expect(status).toBe("ok");
    expect(s).toMatchObject({ source: "mdns", mac: "00:11:32:aa:bb:cc", ethSrc: "00:11:32:aa:bb:cc", srcIp: "10.0.0.7", ip: "10.0.0.7", hostname: "nas", model: "DS920+", mdnsResponse: true });
    expect(s.services).toEqual(["_smb._tcp", "_afpovertcp._tcp"]);
  });

  test("an mDNS query only says the host is there", () => {
    const { status, sighting: s } = decodeSighting(mdnsResponse("00:11:32:aa:bb:cc", "10.0.0.7", [], { query: true }));
    expect(status).toBe("ok");
    expect(s).toMatchObject({ ip: "10.0.0.7", mdnsResponse: false, hostname: null, services: [] });
  });

  test("gratuitous ARP: sender MAC and IP; an ARP probe from 0.0.0.0 is ignored", () => {
    const { status, sighting: s } = decodeSighting(gratuitousArp("02:aa:bb:cc:dd:ee", "10.0.0.9"));
    expect(status).toBe("ok");
    expect(s).toMatchObject({ source: "arp", mac: "02:aa:bb:cc:dd:ee", ethSrc: "02:aa:bb:cc:dd:ee", srcIp: null, ip: "10.0.0.9", auxIp: "10.0.0.9" });
    expect(s.flags).toContain("localAdmin");
    expect(decodeSighting(gratuitousArp("02:aa:bb:cc:dd:ee", "0.0.0.0")).status).toBe("ignored");
  });

  test("other UDP traffic is ignored", () => {
    expect(decodeSighting(udpFrame({ srcMac: "02:00:00:00:00:01", srcIp: "10.0.0.1", dstIp: "10.0.0.2", sport: 53, dport: 53, payload: [1, 2, 3] })).status).toBe("ignored");
  });

  test("hostile frames: rejected or decoded within bounds, never more", () => {
    const results = Object.fromEntries(passiveCorpus().map((c) => [c.name, decodeSighting(c.frame)]));
    expect(results["dhcp option length past the end"].status).toBe("malformed");
    expect(results["dhcp option code without length"].status).toBe("malformed");
    expect(results["dhcp hostname 255 bytes"].sighting.hostname).toBe("h".repeat(64));
    for (const loop of ["mdns pointer to itself", "mdns pointers to each other", "mdns forward pointer", "mdns label past the end", "mdns rdlength past the end"]) {
      expect(results[loop].status).toBe("malformed");
    }
    // 65,535 announced answers with one present: the first decodes, the walk stops at the end.
    expect(results["mdns 65535 answers announced"].status).toBe("malformed");
    expect(results["mdns txt string past rdata"].sighting.model).toBeNull();
    // A UDP length beyond the IP datagram is cut to the datagram.
    expect(results["udp length beyond ip"].status).toBe("ok");
    expect(results["ip total length below header"].status).toBe("malformed");
    // Every truncation of the valid frames is refused or decoded, never more than the frame holds.
    for (const c of passiveCorpus().slice(0, 3)) {
      for (let len = 0; len < c.frame.length; len++) expect(["ok", "tooShort", "malformed", "ignored"]).toContain(decodeSighting(c.frame.subarray(0, len)).status);
    }
  });
});

describe("listener queue (offline)", () => {
  test("only the chosen interfaces count, repeats within the window are dropped, the queue drains in order", () => {
    const l = NativeListener.open({ offline: true, repeatMs: 60_000 });
    try {
      const arp = gratuitousArp("02:aa:bb:cc:dd:ee", "10.0.0.9");
      expect(l.inject(3, arp)).toBe(false); // no interface chosen yet
      l.setInterfaces([3]);
      expect(l.inject(4, arp)).toBe(false);
      expect(l.inject(3, arp)).toBe(true);
      expect(l.inject(3, arp)).toBe(false); // the same thing again
      expect(l.inject(3, gratuitousArp("02:aa:bb:cc:dd:ee", "10.0.0.10"))).toBe(true); // something new
      const got = l.read();
      expect(got.map((s) => [s.ip, s.ifindex])).toEqual([["10.0.0.9", 3], ["10.0.0.10", 3]]);
      expect(l.read()).toEqual([]);
      expect(l.stats()).toMatchObject({ frames: 5, sightings: 2, repeats: 1, ignored: 2 });
    } finally {
      l.close();
    }
  });
});
