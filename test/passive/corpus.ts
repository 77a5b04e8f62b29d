// The passive decoders' corpus, well-formed and hostile, shared by the decoder tests, the passive
// suite's injection and the sanitizer replay.
import { dhcpFrame, dnsName, gratuitousArp, mdnsResponse, ndpFrame, rr, udpFrame } from "../helpers/frames.ts";

/**
 * Valid and hostile DHCP/mDNS frames: truncated, option lengths past the end, compression loops
 * (a pointer to itself, two pointers to each other, a forward pointer), labels past the end,
 * record counts far beyond the records present.
 */
export function passiveCorpus(): { name: string; frame: Uint8Array }[] {
  const m = "02:11:22:33:44:55";
  const dhcp = dhcpFrame(m, { type: 3, hostname: "pixel-7", requested: "10.0.0.5", prl: [1, 3, 6, 15, 26, 28, 51, 58, 59, 43], vendor: "android-dhcp-13" });
  const mdns = mdnsResponse(m, "10.0.0.7", [
    rr.a("tv.local", "10.0.0.7"),
    rr.ptr("_googlecast._tcp.local", "TV._googlecast._tcp.local"),
    rr.srv("TV._googlecast._tcp.local", 8009, "tv.local"),
    rr.txt("TV._device-info._tcp.local", ["model=Chromecast"]),
  ]);
  const withPayload = (payload: number[], port = 5353) => udpFrame({ srcMac: m, srcIp: "10.0.0.8", dstIp: "224.0.0.251", sport: port, dport: port, payload });
  const header = (qd: number, an: number) => [0, 0, 0x84, 0, 0, qd, 0, an, 0, 0, 0, 0];
  const out = [
    { name: "dhcp request", frame: dhcp },
    { name: "mdns announcement", frame: mdns },
    { name: "gratuitous arp", frame: gratuitousArp(m, "10.0.0.9") },
    { name: "dhcp option length past the end", frame: dhcpFrame(m, { type: 1, extra: [12, 200, 0x41, 0x42] }) },
    { name: "dhcp option code without length", frame: dhcpFrame(m, { type: 1, extra: [12] }) },
    { name: "dhcp hostname 255 bytes", frame: dhcpFrame(m, { type: 1, hostname: "h".repeat(255) }) },
    { name: "mdns pointer to itself", frame: withPayload([...header(0, 1), 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]) },
    { name: "mdns pointers to each other", frame: withPayload([...header(2, 0), 0xc0, 18, 0, 12, 0, 1, 0xc0, 12, 0, 12, 0, 1]) },
    { name: "mdns forward pointer", frame: withPayload([...header(1, 0), 0xc0, 40, 0, 12, 0, 1]) },
    { name: "mdns label past the end", frame: withPayload([...header(1, 0), 60, 0x61, 0x62]) },
    { name: "mdns rdlength past the end", frame: withPayload([...header(0, 1), ...dnsName("a.local"), 0, 1, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 1, 2]) },
    { name: "mdns 65535 answers announced", frame: withPayload([0, 0, 0x84, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...dnsName("a.local"), 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]) },
    { name: "mdns txt string past rdata", frame: withPayload([...header(0, 1), ...dnsName("x._device-info._tcp.local"), 0, 16, 0, 1, 0, 0, 0, 1, 0, 3, 50, 0x6d, 0x6f]) },
    { name: "udp length beyond ip", frame: (() => { const f = dhcpFrame(m, { type: 1 }); f[14 + 20 + 4] = 0xff; f[14 + 20 + 5] = 0xff; return f; })() },
    { name: "ip total length below header", frame: (() => { const f = dhcpFrame(m, { type: 1 }); f[16] = 0; f[17] = 10; return f; })() },
    { name: "dhcp offer from a server", frame: dhcpFrame(m, { type: 2, srcMac: "00:1d:0f:00:00:01", srcIp: "10.0.0.1", reply: { yiaddr: "10.0.0.50", serverId: "10.0.0.1" } }) },
    { name: "dhcp inform with a foreign chaddr", frame: dhcpFrame(m, { type: 8, srcMac: "02:66:66:66:66:66", ciaddr: "10.0.0.66", hostname: "victim" }) },
    { name: "dhcp server id option too short", frame: dhcpFrame(m, { type: 5, reply: { yiaddr: "10.0.0.50" }, extra: [54, 2, 10, 0] }) },
    // IPv6 neighbour discovery: each kind, and the hostile shapes (the harness truncates and mutates them too).
    { name: "ndp neighbor solicitation", frame: ndpFrame({ type: 135, srcMac: m, srcIp: "fe80::11:22ff:fe33:4455", target: "fe80::1", lla: m }) },
    { name: "ndp neighbor advertisement", frame: ndpFrame({ type: 136, srcMac: m, srcIp: "fd00:1::5", lla: m }) },
    { name: "ndp router solicitation", frame: ndpFrame({ type: 133, srcMac: m, srcIp: "fe80::5", lla: m }) },
    { name: "ndp router advertisement", frame: ndpFrame({ type: 134, srcMac: m, srcIp: "fe80::1", lla: m }) },
    { name: "ndp option length zero", frame: (() => { const f = ndpFrame({ type: 135, srcMac: m, srcIp: "fe80::5", lla: m }); f[f.length - 7] = 0; return f; })() },
    { name: "ndp option length past the end", frame: (() => { const f = ndpFrame({ type: 135, srcMac: m, srcIp: "fe80::5", lla: m }); f[f.length - 7] = 200; return f; })() },
    { name: "ndp payload length beyond the frame", frame: ndpFrame({ type: 136, srcMac: m, srcIp: "fe80::5", payloadLength: 0xffff }) },
    { name: "ndp option mac not the sender", frame: ndpFrame({ type: 136, srcMac: m, srcIp: "fe80::5", lla: "02:66:66:66:66:66" }) },
  ];
  // Every truncation of the valid DHCP and mDNS frames is exercised by the harness itself.
  return out;
}
