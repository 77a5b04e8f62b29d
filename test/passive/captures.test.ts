// The passive decoders (native/sighting.c) on frames real devices sent (test/net/fixtures/captured/,
// sources in its README): what an Android phone, an iPhone and a Windows PC say in DHCP, what a Mac
// announces over mDNS with DNS name compression, and the same frames behind an 802.1Q tag.
// The sanitizer replay (test/net/sanitize.test.ts) runs these frames under ASan/UBSan too.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { decodeSighting } from "../../src/net/native.ts";
import { readFrames } from "../helpers/pcap.ts";
import { OWN_FRAMES } from "../helpers/testdata.ts";

const captured = (name: string) => readFrames(join(OWN_FRAMES, "captured", `${name}.pcap`));
const decoded = (frame: Uint8Array) => {
  const { status, sighting } = decodeSighting(frame);
  expect(status).toBe("ok");
  return sighting;
};

const APPLE_SERVICES = ["_odisk._tcp", "_smb._tcp", "_afpovertcp._tcp", "_ssh._tcp", "_sftp-ssh._tcp", "_nfs._tcp", "_companion-link._tcp"];

describe("real DHCP frames", () => {
  test("Android: vendor class android-dhcp-9, PRL fingerprint, requested address and server in the REQUEST", () => {
    const [discover, request] = captured("android-dhcp");
    const android = { source: "dhcp", mac: "4c:6a:f6:9f:f6:27", ethSrc: "4c:6a:f6:9f:f6:27", dhcpOp: 1, hostname: null, vendorClass: "android-dhcp-9", prl: "1,3,6,15,26,28,51,58,59,43", flags: [] };
    expect(decoded(discover)).toMatchObject({ ...android, dhcpType: 1, auxIp: null, serverId: null });
    expect(decoded(request)).toMatchObject({ ...android, dhcpType: 3, auxIp: "192.168.2.16", serverId: "192.168.2.1" });
  });

  test("iPhone: host name, Apple's PRL fingerprint (with 121, 119, 252), no vendor class", () => {
    const [discover, request] = captured("ios-dhcp");
    const iphone = { source: "dhcp", mac: "c4:61:8b:35:82:a9", dhcpOp: 1, hostname: "Lucas-iPhone", prl: "1,121,3,6,15,119,252", vendorClass: null };
    expect(decoded(discover)).toMatchObject({ ...iphone, dhcpType: 1 });
    expect(decoded(request)).toMatchObject({ ...iphone, dhcpType: 3, auxIp: "192.168.2.17", serverId: "192.168.2.1" });
  });

  test("Windows 10: host name, vendor class MSFT 5.0, the 14-option PRL (with 249, 252) despite an FQDN option before it", () => {
    const [request] = captured("windows-dhcp");
    expect(decoded(request)).toMatchObject({
      source: "dhcp", mac: "08:00:27:e6:e5:59", dhcpOp: 1, dhcpType: 3, auxIp: "10.0.2.15",
      hostname: "MSEDGEWIN10", vendorClass: "MSFT 5.0", prl: "1,3,6,15,31,33,43,44,46,47,119,121,249,252",
    });
  });
});

describe("a real mDNS answer", () => {
  test("a Mac's 32-answer announcement: host name, services and model read through name compression", () => {
    const [frame] = captured("apple-mdns-answer");
    // The frame does compress: "local" is spelled out once and reached by pointers from the rest.
    const text = Buffer.from(frame).toString("latin1");
    expect(text.split("\x05local").length - 1).toBe(1);
    expect(frame.some((b, i) => (b & 0xc0) === 0xc0 && i > 42)).toBe(true);
    const s = decoded(frame);
    expect(s).toMatchObject({ source: "mdns", mac: "d8:30:62:56:00:1c", ethSrc: "d8:30:62:56:00:1c", srcIp: "169.254.225.216", ip: "169.254.225.216", mdnsResponse: true, hostname: "lucas-imac", model: "iMac11,3" });
    expect(s.services).toEqual(APPLE_SERVICES);
  });
});

describe("behind an 802.1Q tag", () => {
  test("the tagged DHCP DISCOVER and mDNS answer decode as untagged, flagged vlan", () => {
    const [dhcp, mdns] = captured("vlan-tagged");
    expect(dhcp[12] << 8 | dhcp[13]).toBe(0x8100);
    expect(((dhcp[14] << 8) | dhcp[15]) & 0x0fff).toBe(20);
    const untagged = (name: string) => decoded(captured(name)[0]);
    expect(decoded(dhcp)).toEqual({ ...untagged("ios-dhcp"), flags: ["vlan"] });
    expect(decoded(mdns)).toEqual({ ...untagged("apple-mdns-answer"), flags: ["vlan"] });
  });
});

test("every truncation of every captured frame is rejected or decoded within bounds", () => {
  for (const name of ["android-dhcp", "ios-dhcp", "windows-dhcp", "apple-mdns-answer", "vlan-tagged"]) {
    for (const whole of captured(name)) {
      for (let len = 0; len < whole.length; len++) {
        const { status, sighting: s } = decodeSighting(whole.slice(0, len));
        expect(["ok", "ignored", "tooShort", "malformed"]).toContain(status);
        if (status === "ok") expect(s.mac).toBe(decoded(whole).mac);
      }
    }
  }
});
