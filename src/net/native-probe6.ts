// The bun:ffi binding of the IPv6 prober (native/probe6.c): an ICMPv6 echo to all nodes and
// neighbour solicitations for known addresses on one interface, and the answers read back without
// blocking, each with the MAC that sent it.
import type { Pointer } from "bun:ffi";
import { errnoName, formatMac, LAYOUT as L, native, nonEmpty } from "./native-loader.ts";
import { formatIp6, parseIp6 } from "./ip6.ts";

/** An answer: the address it speaks for and the Ethernet source that sent it. */
export type Nd6Reply = { address: string; mac: string; kind: "echo" | "advert"; router: boolean };

/** Raised by Nd6Prober.open with the errno the core reported. */
export class Nd6ProberError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = "Nd6ProberError";
  }
}

const REPLY_SIZE: number = L.nd6_reply;
const BATCH = 64;
const READ_MAX = 16 * BATCH;
const EINVAL = -22;

export class Nd6Prober {
  private handle: Pointer | null;
  private readonly buf = new Uint8Array(REPLY_SIZE * BATCH);

  private constructor(handle: Pointer) {
    this.handle = handle;
  }

  static open(ifname: string): Nd6Prober {
    const err = new Int32Array(1);
    const h = native().argus_nd6_open(Buffer.from(`${ifname}\0`), err);
    if (!h) throw new Nd6ProberError(err[0], `cannot open the IPv6 prober on ${ifname}: ${errnoName(err[0])}`);
    return new Nd6Prober(h);
  }

  private live(): Pointer {
    if (!this.handle) throw new Error("IPv6 prober already closed");
    return this.handle;
  }

  /** One echo request to ff02::1 from our address `src`; 0 when sent, else a negative errno. */
  echoAll(src: string): number {
    const s = parseIp6(src);
    return s ? native().argus_nd6_echo_all(this.live(), s) : EINVAL;
  }

  /** One neighbour solicitation for `target` from our address `src`; 0 when sent, else a negative errno. */
  solicit(src: string, target: string): number {
    const s = parseIp6(src);
    const t = parseIp6(target);
    return s && t ? native().argus_nd6_solicit(this.live(), s, t) : EINVAL;
  }

  /** The answers waiting now, oldest first; at most READ_MAX per call (a flood waits for the next). */
  read(): Nd6Reply[] {
    const out: Nd6Reply[] = [];
    while (out.length < READ_MAX) {
      const n = native().argus_nd6_read(this.live(), this.buf, BATCH);
      for (let i = 0; i < n; i++) out.push(decodeReply(this.buf, i * REPLY_SIZE));
      if (n < BATCH) break;
    }
    return out;
  }

  sent(): number {
    return Number(native().argus_nd6_sent(this.live()));
  }

  close(): void {
    if (this.handle) native().argus_nd6_close(this.handle);
    this.handle = null;
  }
}

function decodeReply(b: Uint8Array, off: number): Nd6Reply {
  return {
    address: formatIp6(b, off + L["nd6_reply.ip6"]),
    mac: formatMac(b, off + L["nd6_reply.mac"]),
    kind: b[off + L["nd6_reply.type"]] === 129 ? "echo" : "advert",
    router: (b[off + L["nd6_reply.nd_flags"]] & 1) !== 0,
  };
}

/** Decodes one frame as the prober's read would (for tests of the decoder): null when it is no answer. */
export function decodeNd6Reply(frame: Uint8Array, echoId: number): Nd6Reply | null {
  const out = new Uint8Array(REPLY_SIZE);
  const st = native().argus_decode_nd6_reply(nonEmpty(frame), frame.length, echoId, out);
  return st === 0 ? decodeReply(out, 0) : null;
}
