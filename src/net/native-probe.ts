// The bun:ffi binding of the departure prober (native/probe.c): unicast ARP requests to devices
// already known, and the answers read back without blocking.
import type { Pointer } from "bun:ffi";
import { errnoName, formatIp, formatMac, LAYOUT as L, native } from "./native-loader.ts";
import { parseIpv4 } from "./ip.ts";

export type ProbeReply = { ip: string; mac: string };

/** Raised by ArpProber.open with the errno the core reported. */
export class ArpProberError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = "ArpProberError";
  }
}

const REPLY_SIZE: number = L.probe_reply;
const BATCH = 64;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** One interface's prober: an AF_PACKET socket bound to it, filtered to ARP replies to `srcIp`. */
export class ArpProber {
  private handle: Pointer | null;
  private readonly buf = new Uint8Array(REPLY_SIZE * BATCH);
  private readonly mac = new Uint8Array(6);

  private constructor(handle: Pointer) {
    this.handle = handle;
  }

  static open(ifname: string, srcIp: string): ArpProber {
    const err = new Int32Array(1);
    const h = native().argus_prober_open(Buffer.from(`${ifname}\0`), parseIpv4(srcIp) ?? 0, err);
    if (!h) throw new ArpProberError(err[0], `cannot open the departure prober on ${ifname}: ${errnoName(err[0])}`);
    return new ArpProber(h);
  }

  private live(): Pointer {
    if (!this.handle) throw new Error("prober already closed");
    return this.handle;
  }

  /** One request for `ip` to `mac` alone; 0 when sent, else a negative errno (-ENETDOWN with the link down). */
  send(mac: string, ip: string): number {
    const target = parseIpv4(ip);
    if (target === null || !MAC.test(mac)) return -22;
    const parts = mac.split(":");
    for (let i = 0; i < 6; i++) this.mac[i] = parseInt(parts[i], 16);
    return native().argus_prober_send(this.live(), this.mac, target);
  }

  /** The answers waiting now, oldest first. */
  read(): ProbeReply[] {
    const out: ProbeReply[] = [];
    for (;;) {
      const n = native().argus_prober_read(this.live(), this.buf, BATCH);
      for (let i = 0; i < n; i++) {
        const off = i * REPLY_SIZE;
        out.push({ ip: formatIp(this.buf, off + L["probe_reply.ip"]), mac: formatMac(this.buf, off + L["probe_reply.mac"]) });
      }
      if (n < BATCH) return out;
    }
  }

  /** Requests sent since open. */
  sent(): number {
    return Number(native().argus_prober_sent(this.live()));
  }

  close(): void {
    if (this.handle) native().argus_prober_close(this.handle);
    this.handle = null;
  }
}
