// Builders of the frames a joining device sends (DHCP, mDNS, ARP), for decoder tests, the
// sanitizer replay and the injectors that run inside test namespaces. Written from the RFCs
// (2131/2132 DHCP, 6762/1035 mDNS/DNS, 826 ARP), independently of native/sighting.c.

const mac = (s: string) => s.split(":").map((h) => parseInt(h, 16));
const ip = (s: string) => s.split(".").map(Number);
const be16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];

function checksum(b: number[]): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/** Ethernet + IPv4 + UDP around a payload. */
export function udpFrame(o: { srcMac: string; dstMac?: string; srcIp: string; dstIp: string; sport: number; dport: number; payload: number[] }): Uint8Array {
  const udp = [...be16(o.sport), ...be16(o.dport), ...be16(8 + o.payload.length), 0, 0, ...o.payload];
  const iph = [0x45, 0, ...be16(20 + udp.length), 0, 0, 0, 0, 64, 17, 0, 0, ...ip(o.srcIp), ...ip(o.dstIp)];
  const c = checksum(iph);
  iph[10] = c >> 8;
  iph[11] = c & 0xff;
  return new Uint8Array([...mac(o.dstMac ?? "ff:ff:ff:ff:ff:ff"), ...mac(o.srcMac), 0x08, 0x00, ...iph, ...udp]);
}

export type DhcpOptions = {
  type: number;
  hostname?: string;
  requested?: string;
  prl?: number[];
  vendor?: string;
  ciaddr?: string;
  extra?: number[];
  /** Ethernet source when it is not the client's own MAC (a spoofer, or a server's reply). */
  srcMac?: string;
  srcIp?: string;
  /** A server's reply (BOOTREPLY, from port 67 to 68) handing out `yiaddr`, with option 54. */
  reply?: { yiaddr: string; serverId?: string };
};

/** A client's DHCP message (DISCOVER = 1, REQUEST = 3, INFORM = 8) or a server's reply (OFFER = 2, ACK = 5) as a broadcast frame. */
export function dhcpFrame(clientMac: string, o: DhcpOptions): Uint8Array {
  const bootp = new Array(236).fill(0);
  bootp[0] = o.reply ? 2 : 1;
  bootp[1] = 1;
  bootp[2] = 6;
  bootp.splice(4, 4, 0x12, 0x34, 0x56, 0x78);
  if (o.ciaddr) bootp.splice(12, 4, ...ip(o.ciaddr));
  if (o.reply) bootp.splice(16, 4, ...ip(o.reply.yiaddr));
  bootp.splice(28, 6, ...mac(clientMac));
  const opts: number[] = [0x63, 0x82, 0x53, 0x63, 53, 1, o.type];
  if (o.reply?.serverId) opts.push(54, 4, ...ip(o.reply.serverId));
  const str = (s: string) => [...new TextEncoder().encode(s)];
  if (o.requested) opts.push(50, 4, ...ip(o.requested));
  if (o.hostname !== undefined) opts.push(12, str(o.hostname).length, ...str(o.hostname));
  if (o.prl) opts.push(55, o.prl.length, ...o.prl);
  if (o.vendor) opts.push(60, str(o.vendor).length, ...str(o.vendor));
  opts.push(...(o.extra ?? []), 255);
  const [sport, dport] = o.reply ? [67, 68] : [68, 67];
  return udpFrame({ srcMac: o.srcMac ?? clientMac, srcIp: o.srcIp ?? o.ciaddr ?? "0.0.0.0", dstIp: "255.255.255.255", sport, dport, payload: [...bootp, ...opts] });
}

/** DNS name in wire form, uncompressed. */
export function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split(".").filter(Boolean)) {
    const b = [...new TextEncoder().encode(label)];
    out.push(b.length, ...b);
  }
  return [...out, 0];
}

export type MdnsRecord = { name: string | number[]; type: number; rdata: number[]; ttl?: number };

/** An mDNS response (announcement) with the given answers. */
export function mdnsResponse(srcMac: string, srcIp: string, answers: MdnsRecord[], opts: { query?: boolean; questions?: number[][] } = {}): Uint8Array {
  const qs = opts.questions ?? [];
  const msg = [0, 0, ...(opts.query ? [0, 0] : [0x84, 0x00]), ...be16(qs.length), ...be16(answers.length), 0, 0, 0, 0];
  for (const q of qs) msg.push(...q, 0, 12, 0, 1);
  for (const a of answers) {
    msg.push(...(typeof a.name === "string" ? dnsName(a.name) : a.name), ...be16(a.type), 0x80, 1, 0, 0, 0x11, 0x94, ...be16(a.rdata.length), ...a.rdata);
  }
  return udpFrame({ srcMac, dstMac: "01:00:5e:00:00:fb", srcIp, dstIp: "224.0.0.251", sport: 5353, dport: 5353, payload: msg });
}

export const rr = {
  a: (name: string, addr: string): MdnsRecord => ({ name, type: 1, rdata: ip(addr) }),
  ptr: (name: string, target: string): MdnsRecord => ({ name, type: 12, rdata: dnsName(target) }),
  srv: (name: string, port: number, target: string): MdnsRecord => ({ name, type: 33, rdata: [0, 0, 0, 0, ...be16(port), ...dnsName(target)] }),
  txt: (name: string, entries: string[]): MdnsRecord => ({
    name,
    type: 16,
    rdata: entries.flatMap((e) => {
      const b = [...new TextEncoder().encode(e)];
      return [b.length, ...b];
    }),
  }),
};

/** A gratuitous ARP (an announcement: sender and target address are the host's own). */
export function gratuitousArp(hostMac: string, hostIp: string, op = 1): Uint8Array {
  return new Uint8Array([
    ...mac("ff:ff:ff:ff:ff:ff"), ...mac(hostMac), 0x08, 0x06,
    0, 1, 0x08, 0x00, 6, 4, 0, op, ...mac(hostMac), ...ip(hostIp), 0, 0, 0, 0, 0, 0, ...ip(hostIp),
  ]);
}

/** An ARP reply sent to one host: "`senderIp` is at `senderMac`" (the classic ARP-poisoning frame). */
export function arpReply(senderMac: string, senderIp: string, targetMac: string, targetIp: string): Uint8Array {
  return new Uint8Array([
    ...mac(targetMac), ...mac(senderMac), 0x08, 0x06,
    0, 1, 0x08, 0x00, 6, 4, 0, 2, ...mac(senderMac), ...ip(senderIp), ...mac(targetMac), ...ip(targetIp),
  ]);
}

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
  ];
  // Every truncation of the valid DHCP and mDNS frames is exercised by the harness itself.
  return out;
}
