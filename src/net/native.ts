// The bun:ffi binding of the native scanning core (native/argus.h). Nothing
// outside src/net/ should import this file; use sweep.ts instead.
import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { embeddedNativeLibrary } from "../service/embedded.ts";
import { errnoName, InterfacesUnavailable, isTransientErrno } from "./interfaces.ts";
import { wireText } from "./wire-text.ts";

const ABI_VERSION = 4;

/** Where the compiled core lives. The one place that knows: ARGUS_NATIVE_LIB overrides; the
 * compiled binary uses the copy embedded for its target (src/service/embedded.ts); from source, native/build/. */
export function nativeLibraryPath(): string {
  const fromEnv = process.env.ARGUS_NATIVE_LIB;
  if (fromEnv) return fromEnv;
  if (embeddedNativeLibrary) return embeddedNativeLibrary;
  return join(import.meta.dir, "..", "..", "native", "build", `libargus-${process.arch}.so`);
}

const symbols = {
  argus_abi_version: { args: [], returns: FFIType.u32 },
  argus_decode_arp: { args: [FFIType.ptr, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  argus_decode_icmp: { args: [FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  argus_sweep_open: {
    args: [FFIType.cstring, FFIType.ptr, FFIType.ptr, FFIType.u32, FFIType.ptr, FFIType.ptr],
    returns: FFIType.ptr,
  },
  argus_sweep_step: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  argus_sweep_cancel: { args: [FFIType.ptr], returns: FFIType.void },
  argus_sweep_progress: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.void },
  argus_sweep_results: { args: [FFIType.ptr, FFIType.u32, FFIType.ptr, FFIType.u32], returns: FFIType.u32 },
  argus_sweep_inject: { args: [FFIType.ptr, FFIType.u8, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  argus_sweep_close: { args: [FFIType.ptr], returns: FFIType.void },
  argus_iface_info: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  argus_udp_nudge: { args: [FFIType.ptr, FFIType.u32, FFIType.u16], returns: FFIType.u32 },
  argus_decode_sighting: { args: [FFIType.ptr, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  argus_listen_open: { args: [FFIType.u32, FFIType.u32, FFIType.ptr], returns: FFIType.ptr },
  argus_listen_set_ifaces: { args: [FFIType.ptr, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  argus_listen_wake_fd: { args: [FFIType.ptr], returns: FFIType.i32 },
  argus_listen_read: { args: [FFIType.ptr, FFIType.ptr, FFIType.u32], returns: FFIType.u32 },
  argus_listen_stats: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.void },
  argus_listen_inject: { args: [FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  argus_listen_close: { args: [FFIType.ptr], returns: FFIType.void },
} as const;

type Lib = ReturnType<typeof dlopen<typeof symbols>>["symbols"];
let lib: Lib | null = null;

function native(): Lib {
  if (lib) return lib;
  const path = nativeLibraryPath();
  if (!existsSync(path)) {
    throw new Error(`argus native core not found at ${path}; build it with \`node scripts/build-native.mjs\` (needs a C compiler)`);
  }
  const opened = dlopen(path, symbols).symbols;
  const abi = opened.argus_abi_version();
  if (abi !== ABI_VERSION) throw new Error(`argus native core at ${path} has ABI ${abi}, expected ${ABI_VERSION}; rebuild it`);
  lib = opened;
  return lib;
}

// ---- decoding -------------------------------------------------------------

export const DecodeStatus = { ok: 0, tooShort: 1, notArp: 2, malformed: 3, ignored: 4 } as const;
export type DecodeStatusName = keyof typeof DecodeStatus;
const statusNames = Object.fromEntries(Object.entries(DecodeStatus).map(([k, v]) => [v, k])) as Record<number, DecodeStatusName>;

/** Bits of argus_frame_flag. */
export const FrameFlag = {
  vlan: 1 << 0,
  llc: 1 << 1,
  trailer: 1 << 2,
  padded: 1 << 3,
  diffFrameAddr: 1 << 4,
  localAdmin: 1 << 5,
  multicastSender: 1 << 6,
  conflict: 1 << 7,
} as const;
export type FrameFlagName = keyof typeof FrameFlag;

// Decoded for every frame the listener reads (a flood is tens of thousands a second): flag lists and
// MAC text come from tables instead of being built each time. Callers must not modify the lists.
const FLAG_LISTS = Array.from({ length: 256 }, (_, bits) => (Object.keys(FrameFlag) as FrameFlagName[]).filter((k) => (bits & FrameFlag[k]) !== 0));
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function flagNames(bits: number): FrameFlagName[] {
  return bits < 256 ? FLAG_LISTS[bits] : (Object.keys(FrameFlag) as FrameFlagName[]).filter((k) => (bits & FrameFlag[k]) !== 0);
}

export interface ArpDecoded {
  status: DecodeStatusName;
  op: number;
  senderIp: string;
  senderMac: string;
  targetIp: string;
  targetMac: string;
  ethSrc: string;
  ethDst: string;
  vlanId: number | null;
  flags: FrameFlagName[];
}

export function formatMac(b: Uint8Array, off = 0): string {
  return `${HEX[b[off]]}:${HEX[b[off + 1]]}:${HEX[b[off + 2]]}:${HEX[b[off + 3]]}:${HEX[b[off + 4]]}:${HEX[b[off + 5]]}`;
}

function formatIp(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

// A zero-length typed array has no address to hand to C; give it one byte.
function nonEmpty(frame: Uint8Array): Uint8Array {
  return frame.length > 0 ? frame : new Uint8Array(1);
}

/** Decode one Ethernet frame with the native (bounds-checked) ARP decoder. */
export function decodeArp(frame: Uint8Array): ArpDecoded {
  const out = new Uint8Array(40);
  const status = native().argus_decode_arp(nonEmpty(frame), frame.length, out);
  const dv = new DataView(out.buffer);
  const vlan = dv.getUint16(34, true);
  return {
    status: statusNames[status] ?? "malformed",
    ethDst: formatMac(out, 0),
    ethSrc: formatMac(out, 6),
    senderMac: formatMac(out, 12),
    targetMac: formatMac(out, 18),
    senderIp: formatIp(out, 24),
    targetIp: formatIp(out, 28),
    op: dv.getUint16(32, true),
    vlanId: vlan === 0xffff ? null : vlan,
    flags: flagNames(dv.getUint16(36, true)),
  };
}

export interface IcmpDecoded {
  status: DecodeStatusName;
  srcIp: string;
  type: number;
  code: number;
  id: number;
  seq: number;
  token: number;
}

export function decodeIcmp(pkt: Uint8Array, hasIpHeader: boolean): IcmpDecoded {
  const out = new Uint8Array(24);
  const status = native().argus_decode_icmp(nonEmpty(pkt), pkt.length, hasIpHeader ? 1 : 0, out);
  const dv = new DataView(out.buffer);
  return {
    status: statusNames[status] ?? "malformed",
    srcIp: formatIp(out, 0),
    id: dv.getUint16(4, true),
    seq: dv.getUint16(6, true),
    token: dv.getUint32(8, true),
    type: out[12],
    code: out[13],
  };
}

/** Unprivileged kernel-ARP prompt: an empty UDP datagram to each address. */
export function udpNudge(addresses: Uint32Array, port: number): number {
  if (addresses.length === 0) return 0;
  return native().argus_udp_nudge(addresses, addresses.length, port);
}

// ---- sweep engine ---------------------------------------------------------

export const Method = { arp: 0, icmp: 1 } as const;
export type MethodName = keyof typeof Method;

export const SweepFlag = { offline: 1 << 0, icmpDgram: 1 << 1 } as const;

export interface NativeSweepConfig {
  ratePps: number;
  retries: number;
  timeoutMs: number;
  floorMs: number;
  lingerMs: number;
  srcIp: number; // host order, 0 = the interface's
  flags: number;
  icmpId: number;
}

export interface NativeProgress {
  sent: number;
  received: number;
  answered: number;
  finished: number;
  total: number;
  ignored: number;
  elapsedMs: number;
  waitMs: number;
  /** When the latest probe left, since the start: sent / lastSendMs is the achieved rate. */
  lastSendMs: number;
}

export interface NativeResult {
  ip: string;
  mac: string | null;
  method: MethodName;
  attempt: number;
  rttUs: number;
  flags: FrameFlagName[];
  dups: number;
}

/** Raised by NativeSweep.open with the errno the core reported. */
export class NativeSweepError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = "NativeSweepError";
  }
}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** "ENETDOWN (100)" for messages; the numbers are Linux's. */
export function errnoName(n: number): string {
  return `${errnoNames.get(n) ?? "errno"} (${n})`;
}

export const Errno = { EPERM: 1, ENOENT: 2, EACCES: 13, ENODEV: 19, EINVAL: 22, EADDRNOTAVAIL: 99 } as const;

const RESULT_SIZE = 24;

/** One native sweep context; call step() until it returns false, then close(). */
export class NativeSweep {
  private handle: Pointer | null;

  private constructor(handle: Pointer) {
    this.handle = handle;
  }

  static open(iface: string, targets: Uint32Array, methods: Uint8Array, cfg: NativeSweepConfig): NativeSweep {
    const c = new Uint32Array(8);
    c[0] = cfg.ratePps;
    c[1] = cfg.retries;
    c[2] = cfg.timeoutMs;
    c[3] = cfg.floorMs;
    c[4] = cfg.srcIp >>> 0;
    c[5] = cfg.flags;
    c[6] = cfg.icmpId & 0xffff;
    c[7] = cfg.lingerMs;
    const err = new Int32Array(1);
    const name = Buffer.from(`${iface}\0`);
    const t = targets.length ? targets : new Uint32Array(1);
    const m = methods.length ? methods : new Uint8Array(1);
    const h = native().argus_sweep_open(ptr(name), t, m, targets.length, c, err);
    if (!h) throw new NativeSweepError(err[0], `cannot start a sweep${iface ? ` on ${iface}` : ""}: ${errnoName(err[0])}`);
    return new NativeSweep(h);
  }

  private live(): Pointer {
    if (!this.handle) throw new Error("sweep already closed");
    return this.handle;
  }

  /** Work for at most budgetMs; true while the sweep has more to do. */
  step(budgetMs: number): boolean {
    const r = native().argus_sweep_step(this.live(), budgetMs);
    if (r < 0) throw new NativeSweepError(-r, `sweep failed: ${errnoName(-r)}`);
    return r === 1;
  }

  cancel(): void {
    if (this.handle) native().argus_sweep_cancel(this.handle);
  }

  progress(): NativeProgress {
    const buf = new BigUint64Array(9);
    native().argus_sweep_progress(this.live(), buf);
    const n = (i: number) => Number(buf[i]);
    return {
      sent: n(0),
      received: n(1),
      answered: n(2),
      finished: n(3),
      total: n(4),
      ignored: n(5),
      elapsedMs: n(6) / 1000,
      waitMs: n(7) / 1000,
      lastSendMs: n(8) / 1000,
    };
  }

  /** Answered hosts from ordinal `from` on (answer order). */
  results(from = 0): NativeResult[] {
    const answered = this.progress().answered;
    if (answered <= from) return [];
    const count = answered - from;
    const buf = new Uint8Array(count * RESULT_SIZE);
    const got = native().argus_sweep_results(this.live(), from, buf, count);
    const dv = new DataView(buf.buffer);
    const out: NativeResult[] = [];
    for (let i = 0; i < got; i++) {
      const o = i * RESULT_SIZE;
      const method: MethodName = buf[o + 10] === Method.icmp ? "icmp" : "arp";
      out.push({
        ip: formatIp(buf, o),
        mac: method === "arp" ? formatMac(buf, o + 4) : null,
        method,
        attempt: buf[o + 11],
        rttUs: dv.getUint32(o + 12, true),
        flags: flagNames(dv.getUint16(o + 16, true)),
        dups: dv.getUint16(o + 18, true),
      });
    }
    return out;
  }

  /** Feed a frame as if received (offline sweeps in tests). */
  inject(method: MethodName, frame: Uint8Array): boolean {
    return native().argus_sweep_inject(this.live(), Method[method], nonEmpty(frame), frame.length) === 1;
  }

  close(): void {
    if (this.handle) native().argus_sweep_close(this.handle);
    this.handle = null;
  }
}

// ---- passive listener (native/sighting.c, native/listen.c) ----------------

export type SightingSource = "arp" | "dhcp" | "mdns";
const SOURCES: Record<number, SightingSource> = { 1: "arp", 2: "dhcp", 3: "mdns" };

/** One decoded frame: what it says about the host that sent it (struct argus_sighting). */
export interface RawSighting {
  source: SightingSource;
  /** The host the sighting is about: ARP sender, DHCP chaddr, Ethernet source (mDNS). */
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
}

export const SIGHTING_SIZE = 480;
function ipOrNull(b: Uint8Array, off: number): string | null {
  return b[off] | b[off + 1] | b[off + 2] | b[off + 3] ? formatIp(b, off) : null;
}

/** Wire text (see wire-text.ts) or null. */
function text(b: Uint8Array, off: number, len: number): string | null {
  return len === 0 ? null : wireText(b.subarray(off, off + len));
}

export function parseSighting(b: Uint8Array, off = 0): RawSighting {
  const dv = new DataView(b.buffer, b.byteOffset + off, SIGHTING_SIZE);
  const at = (o: number) => b[off + o];
  const prlLen = at(25);
  const prl: number[] = [];
  for (let i = 0; i < prlLen; i++) prl.push(at(104 + i));
  const services = text(b, off + 232, at(27));
  return {
    mac: formatMac(b, off),
    ethSrc: formatMac(b, off + 456),
    serverId: ipOrNull(b, off + 464),
    srcIp: ipOrNull(b, off + 468),
    source: SOURCES[at(6)] ?? "arp",
    dhcpType: at(7),
    ip: ipOrNull(b, off + 8),
    auxIp: ipOrNull(b, off + 12),
    ifindex: dv.getUint32(16, true),
    flags: flagNames(dv.getUint16(20, true)),
    arpOp: at(22),
    dhcpOp: at(23),
    mdnsResponse: at(29) === 1,
    seenMs: Number(dv.getBigUint64(32, true) / 1000n),
    hostname: text(b, off + 40, at(24)),
    prl: prl.length > 0 ? prl.join(",") : null,
    vendorClass: text(b, off + 168, at(26)),
    services: services ? services.split(",").filter(Boolean) : [],
    model: text(b, off + 392, at(28)),
  };
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

/** The native listener (one AF_PACKET socket and a thread); see native/listen.c. */
export class NativeListener {
  private handle: Pointer | null;
  private readonly buf = new Uint8Array(SIGHTING_SIZE * 256);

  private constructor(handle: Pointer) {
    this.handle = handle;
  }

  static open(opts: { offline?: boolean; repeatMs: number }): NativeListener {
    const err = new Int32Array(1);
    const h = native().argus_listen_open(opts.offline ? ListenFlag.offline : 0, opts.repeatMs, err);
    if (!h) throw new NativeSweepError(err[0], `cannot open the passive listener: ${errnoName(err[0])}`);
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

  /** Everything queued, oldest first. */
  read(): RawSighting[] {
    const out: RawSighting[] = [];
    const max = this.buf.length / SIGHTING_SIZE;
    for (;;) {
      const n = native().argus_listen_read(this.live(), this.buf, max);
      for (let i = 0; i < n; i++) out.push(parseSighting(this.buf, i * SIGHTING_SIZE));
      if (n < max) return out;
    }
  }

  stats(): ListenStats {
    const b = new BigUint64Array(8);
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
  const err = r < 0 ? errnoName({ errno: r }) : null;
  if (isTransientErrno(err)) throw new InterfacesUnavailable(`${err} while reading ${name}`);
  return r === 0 ? idx[0] : null;
}
