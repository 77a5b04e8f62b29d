// The bun:ffi binding of the passive listener (native/sighting.c decodes, native/listen.c listens)
// and of the kernel's address and link events (native/netlink.c).
import type { Pointer } from "bun:ffi";
import { errnoName as errnoCode, InterfacesUnavailable, isTransientErrno } from "./interfaces.ts";
import { errnoName, flagNames, formatIp, formatMac, LAYOUT as L, native, nonEmpty, statusNames, type DecodeStatusName, type FrameFlagName } from "./native-loader.ts";
import { formatIp6, isUnspecified6 } from "./ip6.ts";
import { wireText } from "./wire-text.ts";

export type SightingSource = "arp" | "dhcp" | "mdns" | "ndp" | "dhcpv6";
const SOURCES: Record<number, SightingSource> = { 1: "arp", 2: "dhcp", 3: "mdns", 4: "ndp", 5: "dhcpv6" };

/** One decoded frame: what it says about the host that sent it (struct argus_sighting). */
export interface RawSighting {
  source: SightingSource;
  /** The host the sighting is about: ARP sender, DHCP chaddr, Ethernet source (mDNS, DHCPv6). */
  mac: string;
  /** Who really sent the frame (Ethernet source): evidence counts only when it is `mac`. */
  ethSrc: string;
  /** IPv4 source of a UDP frame (DHCP, mDNS); null for ARP and 0.0.0.0. */
  srcIp: string | null;
  /** DHCP option 54, the server identifier, when present. */
  serverId: string | null;
  /** null for 0.0.0.0 (a DHCP DISCOVER has no address yet). */
  ip: string | null;
  /** DHCP option 50 (requested address) or the ARP target address. */
  auxIp: string | null;
  ifindex: number;
  flags: FrameFlagName[];
  arpOp: number;
  dhcpOp: number;
  dhcpType: number;
  mdnsResponse: boolean;
  /** Wall-clock milliseconds when the listener read it (0 for frames decoded offline). */
  seenMs: number;
  hostname: string | null;
  /** DHCP option 55 as comma-separated decimal codes ("1,3,6,15"). */
  prl: string | null;
  vendorClass: string | null;
  services: string[];
  model: string | null;
  /** NDP, DHCPv6, mDNS over IPv6: the frame's IPv6 source address (RFC 5952 text); null otherwise. */
  ip6: string | null;
  /** NDP: a Neighbor Advertisement's target, when its override flag says the sender owns it. */
  auxIp6: string | null;
  /** NDP: ICMPv6 type (133 RS, 134 RA, 135 NS, 136 NA); 0 for other sources. */
  ndType: number;
  /** NDP: the sender is a router (a Router Advertisement, or an NA with the router flag). */
  ndRouter: boolean;
  /** NDP: the message came behind IPv6 extension headers (Hop-by-Hop, Routing, Destination Options); real NDP has none. */
  ndExtHeaders: boolean;
  /**
   * DHCPv6: the Ethernet address inside the client's DUID (DUID-LL/LLT), as the client claims it.
   * Never evidence: a DUID names whatever its maker chose (another interface, a spoofed device).
   */
  duidMac: string | null;
}

export const SIGHTING_SIZE: number = L.sighting;
function ip6OrNull(b: Uint8Array, off: number): string | null {
  return isUnspecified6(b, off) ? null : formatIp6(b, off);
}
function ipOrNull(b: Uint8Array, off: number): string | null {
  return b[off] | b[off + 1] | b[off + 2] | b[off + 3] ? formatIp(b, off) : null;
}

function macOrNull(b: Uint8Array, off: number): string | null {
  return b[off] | b[off + 1] | b[off + 2] | b[off + 3] | b[off + 4] | b[off + 5] ? formatMac(b, off) : null;
}

/** Whether the six bytes at `x` and at `y` are the same MAC. */
function sameMac(b: Uint8Array, x: number, y: number): boolean {
  for (let i = 0; i < 6; i++) if (b[x + i] !== b[y + i]) return false;
  return true;
}

/** Wire text (see wire-text.ts) or null. */
function text(b: Uint8Array, off: number, len: number): string | null {
  return len === 0 ? null : wireText(b.subarray(off, off + len));
}

// Read for every frame (a flood is tens of thousands a second): no DataView, BigInt or subarray
// per sighting, and the Ethernet source's text shared with the MAC's when they are the same bytes.
const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

export function parseSighting(b: Uint8Array, off = 0): RawSighting {
  const at = (o: number) => b[off + o];
  const prlLen = at(L["sighting.prl_len"]);
  const prl: number[] = [];
  for (let i = 0; i < prlLen; i++) prl.push(at(L["sighting.prl"] + i));
  const services = text(b, off + L["sighting.services"], at(L["sighting.services_len"]));
  const mac = formatMac(b, off + L["sighting.mac"]);
  const seenUs = u32(b, off + L["sighting.seen_us"]) + u32(b, off + L["sighting.seen_us"] + 4) * 2 ** 32;
  return {
    mac,
    ethSrc: sameMac(b, off + L["sighting.eth_src"], off + L["sighting.mac"]) ? mac : formatMac(b, off + L["sighting.eth_src"]),
    serverId: ipOrNull(b, off + L["sighting.server_id"]),
    srcIp: ipOrNull(b, off + L["sighting.src_ip"]),
    source: SOURCES[at(L["sighting.source"])] ?? "arp",
    dhcpType: at(L["sighting.dhcp_type"]),
    ip: ipOrNull(b, off + L["sighting.ip"]),
    auxIp: ipOrNull(b, off + L["sighting.aux_ip"]),
    ifindex: u32(b, off + L["sighting.ifindex"]),
    flags: flagNames(u16(b, off + L["sighting.flags"])),
    arpOp: at(L["sighting.arp_op"]),
    dhcpOp: at(L["sighting.dhcp_op"]),
    mdnsResponse: at(L["sighting.mdns_response"]) === 1,
    seenMs: Math.floor(seenUs / 1000),
    hostname: text(b, off + L["sighting.hostname"], at(L["sighting.hostname_len"])),
    prl: prl.length > 0 ? prl.join(",") : null,
    vendorClass: text(b, off + L["sighting.vendor"], at(L["sighting.vendor_len"])),
    services: services ? services.split(",").filter(Boolean) : [],
    model: text(b, off + L["sighting.model"], at(L["sighting.model_len"])),
    ip6: ip6OrNull(b, off + L["sighting.ip6"]),
    auxIp6: ip6OrNull(b, off + L["sighting.aux_ip6"]),
    ndType: at(L["sighting.nd_type"]),
    ndRouter: (at(L["sighting.nd_flags"]) & 1) !== 0,
    ndExtHeaders: (at(L["sighting.nd_flags"]) & 2) !== 0,
    duidMac: macOrNull(b, off + L["sighting.duid_mac"]),
  };
}

/**
 * What can be read of a sighting in a few byte reads, before it is decoded in full: enough to drop a
 * flood's frame (a new MAC heard by ARP or mDNS while its interface floods) at a fraction of the cost.
 */
export type SightingPreview = {
  ifindex: number;
  source: SightingSource;
  mac: string;
  /** The Ethernet source is the MAC the sighting speaks for. */
  sameSender: boolean;
  arpOp: number;
  /** Only for ARP replies (op 2): the address they answer for. */
  auxIp: string | null;
};

function preview(b: Uint8Array, off: number, p: SightingPreview): SightingPreview {
  const macAt = off + L["sighting.mac"];
  p.ifindex = u32(b, off + L["sighting.ifindex"]);
  p.source = SOURCES[b[off + L["sighting.source"]]] ?? "arp";
  p.mac = formatMac(b, macAt);
  p.sameSender = sameMac(b, macAt, off + L["sighting.eth_src"]);
  p.arpOp = b[off + L["sighting.arp_op"]];
  p.auxIp = p.arpOp === 2 ? ipOrNull(b, off + L["sighting.aux_ip"]) : null;
  return p;
}

/** Sightings per NativeListener.readBatch. */
export const BATCH = 256;

/**
 * The sightings of a batch of native records; with `keep`, only those it keeps on their preview are
 * decoded in full (the preview object is reused: valid during the call only).
 */
function decodeSightings(batch: Uint8Array, keep?: (p: SightingPreview) => boolean): RawSighting[] {
  const out: RawSighting[] = [];
  const p: SightingPreview = { ifindex: 0, source: "arp", mac: "", sameSender: true, arpOp: 0, auxIp: null };
  for (let off = 0; off + SIGHTING_SIZE <= batch.length; off += SIGHTING_SIZE) {
    if (keep && !keep(preview(batch, off, p))) continue;
    out.push(parseSighting(batch, off));
  }
  return out;
}

/** Decode one frame with the native passive decoder (tests, tools). */
export function decodeSighting(frame: Uint8Array): { status: DecodeStatusName; sighting: RawSighting } {
  const out = new Uint8Array(SIGHTING_SIZE);
  const status = native().argus_decode_sighting(nonEmpty(frame), frame.length, out);
  return { status: statusNames[status] ?? "malformed", sighting: parseSighting(out) };
}

export interface ListenStats {
  frames: number;
  sightings: number;
  repeats: number;
  ignored: number;
  overflow: number;
  kernelDrops: number;
  errors: number;
  wakeups: number;
}

export const ListenFlag = { offline: 1 << 0 } as const;

/** Raised by NativeListener.open and NetWatch.open with the errno the core reported. */
export class NativeListenerError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = "NativeListenerError";
  }
}

/** The native listener (one AF_PACKET socket and a thread); see native/listen.c. */
export class NativeListener {
  private handle: Pointer | null;
  private readonly buf = new Uint8Array(SIGHTING_SIZE * BATCH);

  private constructor(handle: Pointer) {
    this.handle = handle;
  }

  static open(opts: { offline?: boolean; repeatMs: number }): NativeListener {
    const err = new Int32Array(1);
    const h = native().argus_listen_open(opts.offline ? ListenFlag.offline : 0, opts.repeatMs, err);
    if (!h) throw new NativeListenerError(err[0], `cannot open the passive listener: ${errnoName(err[0])}`);
    return new NativeListener(h);
  }

  private live(): Pointer {
    if (!this.handle) throw new Error("listener already closed");
    return this.handle;
  }

  setInterfaces(ifindexes: number[]): void {
    const a = new Int32Array(Math.max(1, ifindexes.length));
    a.set(ifindexes.slice(0, 32));
    native().argus_listen_set_ifaces(this.live(), a, Math.min(32, ifindexes.length));
  }

  /** A new file descriptor that becomes readable when sightings wait; the caller closes it. -1 offline. */
  wakeFd(): number {
    return native().argus_listen_wake_fd(this.live());
  }

  /**
   * The oldest BATCH sightings queued at most, decoded (with `keep`, only those it keeps on their
   * preview; see decodeSightings); `more` when the queue may hold more. Read batch by batch, as the
   * caller is ready for each, straight out of one buffer.
   */
  readBatch(keep?: (p: SightingPreview) => boolean): { sightings: RawSighting[]; more: boolean } {
    const n = native().argus_listen_read(this.live(), this.buf, BATCH);
    return { sightings: decodeSightings(this.buf.subarray(0, n * SIGHTING_SIZE), keep), more: n === BATCH };
  }

  /** Everything queued, oldest first, decoded. */
  read(): RawSighting[] {
    const out: RawSighting[] = [];
    for (;;) {
      const { sightings, more } = this.readBatch();
      out.push(...sightings);
      if (!more) return out;
    }
  }

  stats(): ListenStats {
    const b = new BigUint64Array(L.listen_stats / 8);
    native().argus_listen_stats(this.live(), b);
    const n = (i: number) => Number(b[i]);
    return { frames: n(0), sightings: n(1), repeats: n(2), ignored: n(3), overflow: n(4), kernelDrops: n(5), errors: n(6), wakeups: n(7) };
  }

  inject(ifindex: number, frame: Uint8Array): boolean {
    return native().argus_listen_inject(this.live(), ifindex, nonEmpty(frame), frame.length) === 1;
  }

  close(): void {
    if (this.handle) native().argus_listen_close(this.handle);
    this.handle = null;
  }
}

/** The interface's index, or null when it does not exist (now). */
export function ifaceIndex(name: string): number | null {
  const mac = new Uint8Array(6);
  const idx = new Int32Array(1);
  const r = native().argus_iface_info(Buffer.from(`${name}\0`), mac, idx);
  // Out of descriptors the interface is not gone: the caller must not act as if it were.
  const err = r < 0 ? errnoCode({ errno: r }) : null;
  if (isTransientErrno(err)) throw new InterfacesUnavailable(`${err} while reading ${name}`);
  return r === 0 ? idx[0] : null;
}

/**
 * The kernel's IPv4 address and link events (RTM_NEWADDR, RTM_DELADDR, RTM_NEWLINK, RTM_DELLINK),
 * read by a thread of the core (native/netlink.c): wakeFd() becomes readable after each batch.
 */
export class NetWatch {
  private handle: Pointer | null;

  private constructor(handle: Pointer) {
    this.handle = handle;
  }

  static open(): NetWatch {
    const err = new Int32Array(1);
    const h = native().argus_netwatch_open(err);
    if (!h) throw new NativeListenerError(err[0], `cannot follow the kernel's address and link events: ${errnoName(err[0])}`);
    return new NetWatch(h);
  }

  /** A new file descriptor that gets a byte after each batch of events; the caller closes it. */
  wakeFd(): number {
    if (!this.handle) throw new Error("netwatch already closed");
    return native().argus_netwatch_wake_fd(this.handle);
  }

  close(): void {
    if (this.handle) native().argus_netwatch_close(this.handle);
    this.handle = null;
  }
}
