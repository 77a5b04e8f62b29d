// The bun:ffi binding of the core's decoders and sweep engine (native/frame.c, native/sweep.c).
// Nothing outside src/net/ should import this file; use sweep.ts instead.
import { ptr, type Pointer } from "bun:ffi";
import {
  errnoName,
  flagNames,
  formatIp,
  formatMac,
  LAYOUT as L,
  native,
  nonEmpty,
  statusNames,
  type DecodeStatusName,
  type FrameFlagName,
} from "./native-loader.ts";

// ---- decoding -------------------------------------------------------------

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

/** Decode one Ethernet frame with the native (bounds-checked) ARP decoder. */
export function decodeArp(frame: Uint8Array): ArpDecoded {
  const out = new Uint8Array(L.arp_info);
  const status = native().argus_decode_arp(nonEmpty(frame), frame.length, out);
  const dv = new DataView(out.buffer);
  const vlan = dv.getUint16(L["arp_info.vlan_id"], true);
  return {
    status: statusNames[status] ?? "malformed",
    ethDst: formatMac(out, L["arp_info.eth_dst"]),
    ethSrc: formatMac(out, L["arp_info.eth_src"]),
    senderMac: formatMac(out, L["arp_info.sender_mac"]),
    targetMac: formatMac(out, L["arp_info.target_mac"]),
    senderIp: formatIp(out, L["arp_info.sender_ip"]),
    targetIp: formatIp(out, L["arp_info.target_ip"]),
    op: dv.getUint16(L["arp_info.op"], true),
    vlanId: vlan === 0xffff ? null : vlan,
    flags: flagNames(dv.getUint16(L["arp_info.flags"], true)),
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
  const out = new Uint8Array(L.icmp_info);
  const status = native().argus_decode_icmp(nonEmpty(pkt), pkt.length, hasIpHeader ? 1 : 0, out);
  const dv = new DataView(out.buffer);
  return {
    status: statusNames[status] ?? "malformed",
    srcIp: formatIp(out, L["icmp_info.src_ip"]),
    id: dv.getUint16(L["icmp_info.id"], true),
    seq: dv.getUint16(L["icmp_info.seq"], true),
    token: dv.getUint32(L["icmp_info.token"], true),
    type: out[L["icmp_info.type"]],
    code: out[L["icmp_info.code"]],
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

const RESULT_SIZE = L.sweep_result;

/** One native sweep context; call step() until it returns false, then close(). */
export class NativeSweep {
  private handle: Pointer | null;

  private constructor(handle: Pointer) {
    this.handle = handle;
  }

  static open(iface: string, targets: Uint32Array, methods: Uint8Array, cfg: NativeSweepConfig): NativeSweep {
    const c = new Uint32Array(L.sweep_config / 4);
    const at = (field: keyof typeof L) => L[field] / 4;
    c[at("sweep_config.rate_pps")] = cfg.ratePps;
    c[at("sweep_config.retries")] = cfg.retries;
    c[at("sweep_config.timeout_ms")] = cfg.timeoutMs;
    c[at("sweep_config.floor_ms")] = cfg.floorMs;
    c[at("sweep_config.src_ip")] = cfg.srcIp >>> 0;
    c[at("sweep_config.flags")] = cfg.flags;
    c[at("sweep_config.icmp_id")] = cfg.icmpId & 0xffff;
    c[at("sweep_config.linger_ms")] = cfg.lingerMs;
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
    const buf = new BigUint64Array(L.sweep_progress / 8);
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
      const method: MethodName = buf[o + L["sweep_result.method"]] === Method.icmp ? "icmp" : "arp";
      out.push({
        ip: formatIp(buf, o + L["sweep_result.ip"]),
        mac: method === "arp" ? formatMac(buf, o + L["sweep_result.mac"]) : null,
        method,
        attempt: buf[o + L["sweep_result.attempt"]],
        rttUs: dv.getUint32(o + L["sweep_result.rtt_us"], true),
        flags: flagNames(dv.getUint16(o + L["sweep_result.flags"], true)),
        dups: dv.getUint16(o + L["sweep_result.dups"], true),
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

