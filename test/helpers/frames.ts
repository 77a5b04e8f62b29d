// The test kit's one builder (and reader) of Ethernet frames: what a joining device sends (DHCP,
// mDNS, ARP), ARP of every odd shape for the sweep's decoder, for decoder tests, the sanitizer
// replay and the sender (send-frames.py) that runs inside test namespaces. Written from the RFCs
// (2131/2132 DHCP, 6762/1035 mDNS/DNS, 826 ARP, 802.1Q), independently of native/.
import { resolve } from "node:path";

/** Sends hex frames given on stdin out of an interface of the namespace it runs in (see the script). */
export const SEND_FRAMES = resolve(import.meta.dir, "send-frames.py");

export const mac = (s: string) => s.split(":").map((h) => parseInt(h, 16));
export const ip = (s: string) => s.split(".").map(Number);
export const be16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];

/** An ARP packet (no Ethernet header); the field sizes can be made wrong on purpose. */
export function arp(op: number, senderMac: string, senderIp: string, targetMac: string, targetIp: string, o: { hwType?: number; proto?: number; hln?: number; pln?: number } = {}): number[] {
  return [...be16(o.hwType ?? 1), ...be16(o.proto ?? 0x0800), o.hln ?? 6, o.pln ?? 4, ...be16(op), ...mac(senderMac), ...ip(senderIp), ...mac(targetMac), ...ip(targetIp)];
}

/** An Ethernet frame with any VLAN tags ([TPID, VID] outermost first), padded to `padTo` bytes. */
export function ether(dst: string, src: string, tags: [number, number][], type: number, payload: number[], padTo = 60): Uint8Array {
  const bytes = [...mac(dst), ...mac(src)];
  for (const [tpid, vid] of tags) bytes.push(...be16(tpid), ...be16(vid));
  bytes.push(...be16(type), ...payload);
  while (bytes.length < padTo) bytes.push(0);
  return Uint8Array.from(bytes);
}

/** The frame with an 802.1Q tag (VLAN `vid`) inserted after the Ethernet addresses. */
export function withVlanTag(frame: Uint8Array, vid: number, tpid = 0x8100): Uint8Array {
  return Uint8Array.from([...frame.subarray(0, 12), ...be16(tpid), ...be16(vid & 0x0fff), ...frame.subarray(12)]);
}

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

/** The DNS message of an mDNS response (announcement), or of a query. */
function mdnsMessage(answers: MdnsRecord[], opts: { query?: boolean; questions?: number[][] }): number[] {
  const qs = opts.questions ?? [];
  const msg = [0, 0, ...(opts.query ? [0, 0] : [0x84, 0x00]), ...be16(qs.length), ...be16(answers.length), 0, 0, 0, 0];
  for (const q of qs) msg.push(...q, 0, 12, 0, 1);
  for (const a of answers) {
    msg.push(...(typeof a.name === "string" ? dnsName(a.name) : a.name), ...be16(a.type), 0x80, 1, 0, 0, 0x11, 0x94, ...be16(a.rdata.length), ...a.rdata);
  }
  return msg;
}

/** An mDNS response (announcement) with the given answers. */
export function mdnsResponse(srcMac: string, srcIp: string, answers: MdnsRecord[], opts: { query?: boolean; questions?: number[][] } = {}): Uint8Array {
  return udpFrame({ srcMac, dstMac: "01:00:5e:00:00:fb", srcIp, dstIp: "224.0.0.251", sport: 5353, dport: 5353, payload: mdnsMessage(answers, opts) });
}

/** The same over IPv6, to ff02::fb from `srcIp` (an IPv6 address). */
export function mdns6Response(srcMac: string, srcIp: string, answers: MdnsRecord[], opts: { query?: boolean; questions?: number[][] } = {}): Uint8Array {
  return udp6Frame({ srcMac, dstMac: "33:33:00:00:00:fb", srcIp, dstIp: "ff02::fb", sport: 5353, dport: 5353, payload: mdnsMessage(answers, opts), hopLimit: 255 });
}

export const rr = {
  a: (name: string, addr: string): MdnsRecord => ({ name, type: 1, rdata: ip(addr) }),
  aaaa: (name: string, addr: string): MdnsRecord => ({ name, type: 28, rdata: ip6(addr) }),
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

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");

/** ARP sender hardware/protocol address of an Ethernet frame, or null if it is not a well-formed ARP packet. */
export function arpSender(frame: Uint8Array): { mac: string; ip: string } | null {
  if (frame.length < 14) return null;
  let off = 12;
  let type = (frame[off] << 8) | frame[off + 1];
  off += 2;
  if (type === 0x8100) {
    if (frame.length < off + 4) return null;
    type = (frame[off + 2] << 8) | frame[off + 3];
    off += 4;
  }
  if (type <= 1500) {
    // 802.3 length field: expect LLC AA-AA-03 + SNAP OUI 000000 + type
    if (frame.length < off + 8 || frame[off] !== 0xaa || frame[off + 1] !== 0xaa || frame[off + 2] !== 0x03) return null;
    type = (frame[off + 6] << 8) | frame[off + 7];
    off += 8;
  }
  if (type !== 0x0806) return null;
  if (frame.length < off + 28) return null;
  const hlen = frame[off + 4];
  const plen = frame[off + 5];
  if (hlen !== 6 || plen !== 4) return null;
  return { mac: hex(frame.subarray(off + 8, off + 14)), ip: Array.from(frame.subarray(off + 14, off + 18)).join(".") };
}

/** Hex lines, one frame each: the input of send-frames.py and of the sanitizer harness. */
export const hexLines = (frames: Uint8Array[]) => frames.map((f) => Buffer.from(f).toString("hex")).join("\n") + "\n";

/**
 * ARP-ish frames a sweep must ignore, sent by a LAN host while the scanner sweeps: truncated,
 * wrong opcodes, replies for addresses nobody asked about or addressed to someone else, bad
 * address lengths, a multicast sender, then `junk` frames of random bytes (seeded: the same every
 * run). Every claimed sender IP is one of the six `dead` addresses (or outside the range), so any
 * frame the sweep wrongly accepts shows up as a phantom host.
 */
export function hostileArpFrames(o: { src?: string; dst: string; ourIp: string; dead: string[]; junk?: number }): Uint8Array[] {
  if (o.dead.length < 6) throw new Error("need six dead addresses");
  const src = o.src ?? "02:ba:d0:00:00:01";
  const d = o.dead;
  const eth = (payload: number[], type = 0x0806) => Uint8Array.from([...mac(o.dst), ...mac(src), ...be16(type), ...payload]);
  const reply = (senderIp: string, targetIp = o.ourIp, x: Parameters<typeof arp>[5] = {}) => arp(2, src, senderIp, o.dst, targetIp, x);
  const frames = [
    eth(reply(d[0]).slice(0, 8)), // truncated reply: the first 8 bytes of ARP
    eth(reply(d[0]).slice(0, 22)), // cut right before the target address
    eth(arp(1, src, d[1], "00:00:00:00:00:00", o.ourIp)), // a request from a dead address
    eth(arp(3, src, d[1], o.dst, o.ourIp)), // a RARP opcode
    eth(reply("10.231.77.7")), // a reply for an address outside the swept range
    eth(reply(d[2], "10.231.0.99")), // a reply addressed to another host
    eth([...reply(d[3], o.ourIp, { hln: 255 }), ...new Array(40).fill(0)]), // hardware address length 255
    eth(arp(2, "01:00:5e:00:00:01", d[4], o.dst, o.ourIp)), // a multicast sender MAC
    eth(reply(d[5], o.ourIp, { proto: 0x86dd })), // protocol type IPv6
    Uint8Array.from([...mac(o.dst), ...mac(src), ...be16(0x8100), ...be16(5), ...be16(0x0806), ...reply(d[0]).slice(0, 10)]), // VLAN tag, truncated ARP
    eth([0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x06, ...reply(d[0])], 12), // LLC/SNAP whose 802.3 length cuts the ARP short
  ];
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < (o.junk ?? 64); i++) frames.push(eth(Array.from({ length: rnd() % 60 }, rnd)));
  return frames;
}

/** 16 bytes of an IPv6 address in text ("fe80::1", "fd00:1::5"); "::" compression only, no IPv4 tail. */
export function ip6(s: string): number[] {
  const [head, tail] = s.includes("::") ? s.split("::") : [s, null];
  const part = (x: string) => (x === "" ? [] : x.split(":").map((h) => parseInt(h, 16)));
  const h = part(head);
  const t = tail === null ? [] : part(tail);
  const groups = [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  return groups.flatMap((g) => be16(g));
}

export type NdpOptions = {
  /** 133 RS, 134 RA, 135 NS, 136 NA. */
  type: number;
  srcMac: string;
  srcIp: string;
  dstIp?: string;
  dstMac?: string;
  /** NS/NA target (default: srcIp). */
  target?: string;
  /** Source (RS/RA/NS) or target (NA) link-layer address option; omitted when undefined. */
  lla?: string;
  /** NA flags byte (0x80 router, 0x40 solicited, 0x20 override); default 0x20. */
  naFlags?: number;
  hopLimit?: number;
  /** IPv6 next header (58 = ICMPv6; 0 = a hop-by-hop extension header in front of it). */
  nextHeader?: number;
  /**
   * Extension headers between IPv6 and ICMPv6, in order: 0 Hop-by-Hop, 43 Routing, 60 Destination
   * Options (each `len` + 1 eight-byte units, padded with PadN), 44 Fragment (8 bytes, offset 0).
   */
  extHeaders?: { type: number; len?: number }[];
  code?: number;
  /** Payload length field when it should lie. */
  payloadLength?: number;
};

/** One IPv6 extension header (RFC 8200) whose next header is `next`. */
function extHeader(h: { type: number; len?: number }, next: number): number[] {
  const len = h.len ?? 0;
  if (h.type === 44) return [next, 0, 0, 0, 0, 0, 0x12, 0x34]; // Fragment: offset 0, M clear, an identification
  if (h.type === 43) return [next, len, 0, 0, ...new Array(4 + len * 8).fill(0)]; // Routing: type 0, segments left 0
  return [next, len, 1, 4 + len * 8, ...new Array(4 + len * 8).fill(0)]; // Hop-by-Hop / Destination Options: one PadN
}

/** An ICMPv6 neighbour discovery frame (RFC 4861) in Ethernet + IPv6; checksum left 0 (the decoder does not check it). */
export function ndpFrame(o: NdpOptions): Uint8Array {
  const body: number[] = [o.type, o.code ?? 0, 0, 0];
  if (o.type === 133) body.push(0, 0, 0, 0);
  else if (o.type === 134) body.push(64, 0, ...be16(1800), 0, 0, 0, 0, 0, 0, 0, 0);
  else if (o.type === 136) body.push(o.naFlags ?? 0x20, 0, 0, 0, ...ip6(o.target ?? o.srcIp));
  else body.push(0, 0, 0, 0, ...ip6(o.target ?? o.srcIp));
  if (o.lla !== undefined) body.push(o.type === 136 ? 2 : 1, 1, ...mac(o.lla));
  let payload = body;
  const exts = o.extHeaders ?? (o.nextHeader === 0 ? [{ type: 0 }] : []);
  for (let i = exts.length - 1; i >= 0; i--) payload = [...extHeader(exts[i], i === exts.length - 1 ? 58 : exts[i + 1].type), ...payload];
  const next = exts.length > 0 ? exts[0].type : (o.nextHeader ?? 58);
  const iph = [0x60, 0, 0, 0, ...be16(o.payloadLength ?? payload.length), next, o.hopLimit ?? 255, ...ip6(o.srcIp), ...ip6(o.dstIp ?? "ff02::1")];
  return ether(o.dstMac ?? "33:33:00:00:00:01", o.srcMac, [], 0x86dd, [...iph, ...payload]);
}

/** An ICMPv6 echo reply (129) as a host sends it back to us: identifier `id`, our payload's "ARGS" magic by default. */
export function echo6ReplyFrame(o: { srcMac: string; dstMac: string; srcIp: string; dstIp: string; id: number; magic?: number[]; hopLimit?: number }): Uint8Array {
  const body = [129, 0, 0, 0, ...be16(o.id), 0, 1, ...(o.magic ?? [0x41, 0x52, 0x47, 0x53]), 0, 0, 0, 0];
  const iph = [0x60, 0, 0, 0, ...be16(body.length), 58, o.hopLimit ?? 64, ...ip6(o.srcIp), ...ip6(o.dstIp)];
  return ether(o.dstMac, o.srcMac, [], 0x86dd, [...iph, ...body]);
}

/** Ethernet + IPv6 + UDP around a payload; the UDP checksum is left 0 (the decoder does not check it). */
export function udp6Frame(o: {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  sport: number;
  dport: number;
  payload: number[];
  hopLimit?: number;
  /** IPv6 payload length / UDP length fields when they should lie. */
  payloadLength?: number;
  udpLength?: number;
}): Uint8Array {
  const udp = [...be16(o.sport), ...be16(o.dport), ...be16(o.udpLength ?? 8 + o.payload.length), 0, 0, ...o.payload];
  const iph = [0x60, 0, 0, 0, ...be16(o.payloadLength ?? udp.length), 17, o.hopLimit ?? 1, ...ip6(o.srcIp), ...ip6(o.dstIp)];
  return ether(o.dstMac, o.srcMac, [], 0x86dd, [...iph, ...udp]);
}

/** A DUID-LLT (type 1, Ethernet) naming `hostMac`, as most clients make theirs. */
export const duidLlt = (hostMac: string) => [0, 1, 0, 1, 0x2a, 0x3b, 0x4c, 0x5d, ...mac(hostMac)];
/** A DUID-LL (type 3, Ethernet). */
export const duidLl = (hostMac: string) => [0, 3, 0, 1, ...mac(hostMac)];

/** DHCPv6 option 39 (client FQDN, RFC 4704): flags 0, then the name in DNS wire form. */
export const fqdnOption = (name: string) => {
  const wire = dnsName(name);
  return [0, 39, ...be16(1 + wire.length), 0, ...wire];
};

export type Dhcp6Options = {
  srcMac: string;
  /** The client's link-local address. */
  srcIp: string;
  /** 1 SOLICIT (default), 3 REQUEST, 5 RENEW, 11 INFORMATION-REQUEST; 2 ADVERTISE and 7 REPLY are a server's. */
  type?: number;
  /** The client identifier's DUID (default: a DUID-LLT of srcMac); null leaves option 1 out. */
  duid?: number[] | null;
  fqdn?: string;
  /** More options, already encoded. */
  extra?: number[];
  dstIp?: string;
  sport?: number;
  dport?: number;
};

/** A DHCPv6 client message (RFC 8415) from port 546 to ff02::1:2 port 547, with an elapsed-time option. */
export function dhcp6Frame(o: Dhcp6Options): Uint8Array {
  const duid = o.duid === undefined ? duidLlt(o.srcMac) : o.duid;
  const opts: number[] = [];
  if (duid !== null) opts.push(0, 1, ...be16(duid.length), ...duid);
  opts.push(0, 8, 0, 2, 0, 0); // elapsed time
  if (o.fqdn !== undefined) opts.push(...fqdnOption(o.fqdn));
  opts.push(...(o.extra ?? []));
  const payload = [o.type ?? 1, 0x12, 0x34, 0x56, ...opts];
  return udp6Frame({ srcMac: o.srcMac, dstMac: "33:33:00:01:00:02", srcIp: o.srcIp, dstIp: o.dstIp ?? "ff02::1:2", sport: o.sport ?? 546, dport: o.dport ?? 547, payload });
}
