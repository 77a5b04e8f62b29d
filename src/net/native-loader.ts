// Loads the native core (native/argus.h) once and checks that it is the one this code was written
// against: its ABI version, and the size and offset of every record field read through the FFI
// (native/layout.c reports them as compiled). The bindings live beside it: native-sweep.ts (decoders,
// sweep engine), native-listener.ts (passive listener, kernel address/link events).
import { dlopen, FFIType, type Pointer } from "bun:ffi";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { embeddedNativeLibrary } from "../service/embedded.ts";

const ABI_VERSION = 9;

/** Where the compiled core lives. The one place that knows: ARGUS_NATIVE_LIB overrides; the
 * compiled binary uses the copy embedded for its target (src/service/embedded.ts); from source, native/build/. */
export function nativeLibraryPath(): string {
  const fromEnv = process.env.ARGUS_NATIVE_LIB;
  if (fromEnv) return fromEnv;
  if (embeddedNativeLibrary) return embeddedNativeLibrary;
  return join(import.meta.dir, "..", "..", "native", "build", `libargus-${process.arch}.so`);
}

/**
 * Record sizes ("sighting") and field offsets ("sighting.ip") the bindings read at. The loader refuses
 * a library whose compiled layout differs in any of them.
 */
export const LAYOUT = {
  arp_info: 40,
  "arp_info.eth_dst": 0,
  "arp_info.eth_src": 6,
  "arp_info.sender_mac": 12,
  "arp_info.target_mac": 18,
  "arp_info.sender_ip": 24,
  "arp_info.target_ip": 28,
  "arp_info.op": 32,
  "arp_info.vlan_id": 34,
  "arp_info.flags": 36,
  icmp_info: 24,
  "icmp_info.src_ip": 0,
  "icmp_info.id": 4,
  "icmp_info.seq": 6,
  "icmp_info.token": 8,
  "icmp_info.type": 12,
  "icmp_info.code": 13,
  sweep_config: 32,
  "sweep_config.rate_pps": 0,
  "sweep_config.retries": 4,
  "sweep_config.timeout_ms": 8,
  "sweep_config.floor_ms": 12,
  "sweep_config.src_ip": 16,
  "sweep_config.flags": 20,
  "sweep_config.icmp_id": 24,
  "sweep_config.linger_ms": 28,
  sweep_result: 24,
  "sweep_result.ip": 0,
  "sweep_result.mac": 4,
  "sweep_result.method": 10,
  "sweep_result.attempt": 11,
  "sweep_result.rtt_us": 12,
  "sweep_result.flags": 16,
  "sweep_result.dups": 18,
  sweep_progress: 72,
  sighting: 512,
  "sighting.mac": 0,
  "sighting.source": 6,
  "sighting.dhcp_type": 7,
  "sighting.ip": 8,
  "sighting.aux_ip": 12,
  "sighting.ifindex": 16,
  "sighting.flags": 20,
  "sighting.arp_op": 22,
  "sighting.dhcp_op": 23,
  "sighting.hostname_len": 24,
  "sighting.prl_len": 25,
  "sighting.vendor_len": 26,
  "sighting.services_len": 27,
  "sighting.model_len": 28,
  "sighting.mdns_response": 29,
  "sighting.seen_us": 32,
  "sighting.hostname": 40,
  "sighting.prl": 104,
  "sighting.vendor": 168,
  "sighting.services": 232,
  "sighting.model": 392,
  "sighting.eth_src": 456,
  "sighting.server_id": 464,
  "sighting.src_ip": 468,
  "sighting.ip6": 472,
  "sighting.aux_ip6": 488,
  "sighting.nd_type": 504,
  "sighting.nd_flags": 505,
  "sighting.duid_mac": 506,
  listen_stats: 64,
  probe_reply: 12,
  "probe_reply.ip": 0,
  "probe_reply.mac": 4,
  "probe_reply.flags": 10,
  nd6_reply: 32,
  "nd6_reply.ip6": 0,
  "nd6_reply.mac": 16,
  "nd6_reply.type": 22,
  "nd6_reply.nd_flags": 23,
  "nd6_reply.flags": 24,
} as const;

const symbols = {
  argus_abi_version: { args: [], returns: FFIType.u32 },
  argus_layout_count: { args: [], returns: FFIType.u32 },
  argus_layout_entry: { args: [FFIType.u32, FFIType.ptr], returns: FFIType.cstring },
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
  argus_netwatch_open: { args: [FFIType.ptr], returns: FFIType.ptr },
  argus_netwatch_wake_fd: { args: [FFIType.ptr], returns: FFIType.i32 },
  argus_netwatch_close: { args: [FFIType.ptr], returns: FFIType.void },
  argus_prober_open: { args: [FFIType.cstring, FFIType.u32, FFIType.ptr], returns: FFIType.ptr },
  argus_prober_send: { args: [FFIType.ptr, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  argus_prober_read: { args: [FFIType.ptr, FFIType.ptr, FFIType.u32], returns: FFIType.u32 },
  argus_prober_sent: { args: [FFIType.ptr], returns: FFIType.u64 },
  argus_prober_close: { args: [FFIType.ptr], returns: FFIType.void },
  argus_nd6_open: { args: [FFIType.cstring, FFIType.ptr], returns: FFIType.ptr },
  argus_nd6_echo_all: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  argus_nd6_solicit: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  argus_nd6_read: { args: [FFIType.ptr, FFIType.ptr, FFIType.u32], returns: FFIType.u32 },
  argus_decode_nd6_reply: { args: [FFIType.ptr, FFIType.u64, FFIType.u16, FFIType.ptr], returns: FFIType.i32 },
  argus_nd6_echo_id: { args: [FFIType.ptr], returns: FFIType.u32 },
  argus_nd6_sent: { args: [FFIType.ptr], returns: FFIType.u64 },
  argus_nd6_close: { args: [FFIType.ptr], returns: FFIType.void },
} as const;

type Lib = ReturnType<typeof dlopen<typeof symbols>>["symbols"];
let lib: Lib | null = null;

/** The loaded core; the first call opens and checks it. */
export function native(): Lib {
  if (lib) return lib;
  const path = nativeLibraryPath();
  if (!existsSync(path)) {
    throw new Error(`argus native core not found at ${path}; build it with \`node scripts/build-native.mjs\` (needs a C compiler)`);
  }
  const opened = dlopen(path, symbols).symbols;
  const abi = opened.argus_abi_version();
  if (abi !== ABI_VERSION) throw new Error(`argus native core at ${path} has ABI ${abi}, expected ${ABI_VERSION}; rebuild it`);
  const wrong = layoutMismatches(compiledLayout(opened));
  if (wrong.length > 0) throw new Error(`argus native core at ${path} lays out its records otherwise than this code reads them (${wrong.join("; ")}); rebuild it`);
  lib = opened;
  return lib;
}

/** The records' layout as the library was compiled (native/layout.c). */
function compiledLayout(l: Lib): Map<string, number> {
  const compiled = new Map<string, number>();
  const value = new Uint32Array(1);
  for (let i = 0; i < l.argus_layout_count(); i++) {
    const name = l.argus_layout_entry(i, value);
    compiled.set(String(name), value[0]);
  }
  return compiled;
}

/** The loaded library's compiled layout (tests). */
export function nativeLayout(): Map<string, number> {
  return compiledLayout(native());
}

/** Where a compiled layout and LAYOUT disagree, one "name: C value, expected value" each. */
export function layoutMismatches(compiled: Map<string, number>): string[] {
  return Object.entries(LAYOUT)
    .filter(([name, expected]) => compiled.get(name) !== expected)
    .map(([name, expected]) => `${name}: ${compiled.get(name) ?? "missing"}, expected ${expected}`);
}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** "ENETDOWN (100)" for messages; the numbers are Linux's. */
export function errnoName(n: number): string {
  return `${errnoNames.get(n) ?? "errno"} (${n})`;
}

export const Errno = { EPERM: 1, ENOENT: 2, EACCES: 13, ENODEV: 19, EINVAL: 22, EADDRNOTAVAIL: 99 } as const;

// ---- helpers shared by the bindings ----------------------------------------

export const DecodeStatus = { ok: 0, tooShort: 1, notArp: 2, malformed: 3, ignored: 4 } as const;
export type DecodeStatusName = keyof typeof DecodeStatus;
export const statusNames = Object.fromEntries(Object.entries(DecodeStatus).map(([k, v]) => [v, k])) as Record<number, DecodeStatusName>;

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

export function formatMac(b: Uint8Array, off = 0): string {
  return `${HEX[b[off]]}:${HEX[b[off + 1]]}:${HEX[b[off + 2]]}:${HEX[b[off + 3]]}:${HEX[b[off + 4]]}:${HEX[b[off + 5]]}`;
}

const DEC = Array.from({ length: 256 }, (_, i) => String(i));
const DEC_DOT = DEC.map((d) => `${d}.`);

export function formatIp(b: Uint8Array, off: number): string {
  // Concatenated from tables: half the time of a template that converts four numbers.
  return DEC_DOT[b[off]] + DEC_DOT[b[off + 1]] + DEC_DOT[b[off + 2]] + DEC[b[off + 3]];
}

/** A zero-length typed array has no address to hand to C; give it one byte. */
export function nonEmpty(frame: Uint8Array): Uint8Array {
  return frame.length > 0 ? frame : new Uint8Array(1);
}

export type { Pointer };
