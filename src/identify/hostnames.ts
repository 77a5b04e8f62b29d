// Host names for an IPv4 address from the three places a LAN keeps them:
//
//   resolveHostname(ip: string, opts?: HostnameOptions): Promise<HostnameResult>   all three at once, first answer wins
//   reverseDns(ip: string, timeoutMs?: number): Promise<string | null>             PTR via the system resolver
//   mdnsName(ip: string, timeoutMs?: number): Promise<string | null>               mDNS PTR query sent to the host
//   netbiosStatus(ip: string, timeoutMs?: number): Promise<NetbiosStatus | null>   NBNS node status (UDP 137)
//   encodeMdnsQuery / parseDnsPtrAnswer / encodeNbstatQuery / parseNbstatResponse   pure codecs (tests, fuzzing)
//
// Reverse DNS asks whatever resolver the system is configured with (/etc/resolv.conf), as the user expects.
// mDNS: a standard query for "<d>.<c>.<b>.<a>.in-addr.arpa PTR" with the unicast-response (QU) bit, sent
// both straight to <ip>:5353 and to the 224.0.0.251:5353 group (TTL 255): RFC 6762 §5.5 responders answer a
// unicast query directly, and those that only listen to the group answer a QU question by unicast too. Only
// a reply from <ip> itself is accepted. Where the group has no route, the unicast query still goes out. NetBIOS: a node
// status request ("*" / NBSTAT) to <ip>:137 returns the name table; the workstation name is the unique
// name with suffix 0x00, and the reply carries the adapter's MAC too.
//
// Every reply is attacker-controlled input: the parsers bound every read and cap compression jumps, return
// null on anything malformed, and accept only replies from the address asked.
import dgram from "node:dgram";
import dns from "node:dns";
import net from "node:net";

export type HostnameSource = "dns" | "mdns" | "netbios";

export type HostnameResult = {
  hostname: string | null;
  source: HostnameSource | null;
  /** Full name as the source gave it ("annas-iphone.local", "nas.home.lan"), null if none. */
  fqdn: string | null;
  /** From NetBIOS when it answered in time: the workgroup and the adapter MAC it reports. */
  netbios?: NetbiosStatus;
};

export type HostnameOptions = {
  dns_timeout_ms?: number;
  mdns_timeout_ms?: number;
  netbios_timeout_ms?: number;
  /** Which sources to ask (default all three). */
  sources?: HostnameSource[];
  signal?: AbortSignal;
};

export type NetbiosStatus = { name: string; group: string | null; mac: string | null; names: { name: string; suffix: number; group: boolean }[] };

const DEFAULTS = { dns_timeout_ms: 1500, mdns_timeout_ms: 1000, netbios_timeout_ms: 1000 };

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.catch(() => fallback),
    new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms))),
  ]).finally(() => clearTimeout(timer));
}

function assertIPv4(ip: string): void {
  if (!net.isIPv4(ip)) throw new TypeError(`not an IPv4 address: ${JSON.stringify(ip)}`);
}

/** A name as a display hostname: no trailing dot, no ".local", printable and bounded. */
function cleanName(name: string): string | null {
  const n = name.replace(/\.$/, "").replace(/[^\x21-\x7e]/g, "").slice(0, 253);
  return n === "" ? null : n;
}

export async function reverseDns(ip: string, timeoutMs = DEFAULTS.dns_timeout_ms): Promise<string | null> {
  assertIPv4(ip);
  const names = await withTimeout(dns.promises.reverse(ip), timeoutMs, [] as string[]);
  for (const n of names) {
    const c = cleanName(n);
    if (c) return c;
  }
  return null;
}

// ---- DNS wire format (mDNS) --------------------------------------------------------------------------------

const MDNS_GROUP = "224.0.0.251";

export function reverseName(ip: string): string {
  return `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
}

export function encodeMdnsQuery(ip: string, id = 0): Buffer {
  const labels = reverseName(ip).split(".");
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")])), Buffer.from([0])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0); // mDNS queries use id 0; a unicast query may carry any id
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(12, 0); // PTR
  tail.writeUInt16BE(0x8001, 2); // class IN with the QU (unicast response) bit
  return Buffer.concat([header, qname, tail]);
}

/** Reads a possibly compressed name at `off`; returns the name and the offset after it, or null. */
function readName(buf: Buffer, off: number): { name: string; next: number } | null {
  const labels: string[] = [];
  let next = -1;
  let jumps = 0;
  let total = 0;
  for (;;) {
    if (off >= buf.length) return null;
    const len = buf[off];
    if (len === 0) {
      if (next < 0) next = off + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length || ++jumps > 16) return null;
      if (next < 0) next = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1];
      continue;
    }
    if (len & 0xc0) return null; // reserved label types
    if (off + 1 + len > buf.length) return null;
    labels.push(buf.toString("latin1", off + 1, off + 1 + len));
    total += len + 1;
    if (total > 255) return null;
    off += 1 + len;
  }
  return { name: labels.join("."), next };
}

/** The first PTR answer for `qname` in a DNS message, or null. */
export function parseDnsPtrAnswer(buf: Buffer, qname: string): string | null {
  if (buf.length < 12) return null;
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return null; // not a response
  if ((flags & 0x000f) !== 0) return null; // rcode != NOERROR
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qd; i++) {
    const n = readName(buf, off);
    if (!n || n.next + 4 > buf.length) return null;
    off = n.next + 4;
  }
  for (let i = 0; i < an; i++) {
    const n = readName(buf, off);
    if (!n || n.next + 10 > buf.length) return null;
    const type = buf.readUInt16BE(n.next);
    const rdlen = buf.readUInt16BE(n.next + 8);
    const rdata = n.next + 10;
    if (rdata + rdlen > buf.length) return null;
    if (type === 12 && n.name.toLowerCase() === qname.toLowerCase()) {
      const target = readName(buf, rdata);
      if (target && target.name) return target.name;
    }
    off = rdata + rdlen;
  }
  return null;
}

/**
 * Sends one UDP datagram to ip:port (and to each of `also`) and resolves with the first reply from ip that
 * `accept` takes, or null after the timeout or when no datagram could be sent at all.
 */
function udpExchange(ip: string, port: number, payload: Buffer, timeoutMs: number, accept: (msg: Buffer) => boolean, signal?: AbortSignal, also: string[] = []): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    let done = false;
    const finish = (v: Buffer | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      try {
        sock.close();
      } catch {
        // already closed after an error
      }
      resolve(v);
    };
    const onAbort = () => finish(null);
    const timer = setTimeout(() => finish(null), timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    sock.on("error", () => finish(null));
    sock.on("message", (msg, rinfo) => {
      if (rinfo.address === ip && accept(msg)) finish(msg);
    });
    const targets = [ip, ...also];
    let failed = 0;
    sock.bind(0, () => {
      if (also.length) {
        try {
          sock.setMulticastTTL(255); // RFC 6762 §11: receivers drop mDNS with any other TTL
        } catch {
          // only the multicast copy suffers
        }
      }
      for (const to of targets) {
        sock.send(payload, port, to, (err) => {
          if (err && ++failed === targets.length) finish(null);
        });
      }
    });
  });
}

export async function mdnsName(ip: string, timeoutMs = DEFAULTS.mdns_timeout_ms, signal?: AbortSignal): Promise<string | null> {
  assertIPv4(ip);
  const qname = reverseName(ip);
  const id = (Math.random() * 0xffff) | 0;
  let answer: string | null = null;
  await udpExchange(ip, 5353, encodeMdnsQuery(ip, id), timeoutMs, (msg) => {
    answer = parseDnsPtrAnswer(msg, qname);
    return answer !== null;
  }, signal, [MDNS_GROUP]);
  return answer ? cleanName(answer) : null;
}

// ---- NetBIOS node status ---------------------------------------------------------------------------------

export function encodeNbstatQuery(id: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(1, 4); // QDCOUNT
  // "*" padded with NULs to 16 bytes, first-level encoded: each nibble + 'A'.
  const raw = Buffer.alloc(16);
  raw[0] = 0x2a;
  const enc = Buffer.alloc(34);
  enc[0] = 32;
  for (let i = 0; i < 16; i++) {
    enc[1 + 2 * i] = 0x41 + (raw[i] >> 4);
    enc[2 + 2 * i] = 0x41 + (raw[i] & 0x0f);
  }
  enc[33] = 0;
  const tail = Buffer.from([0x00, 0x21, 0x00, 0x01]); // NBSTAT, IN
  return Buffer.concat([header, enc, tail]);
}

export function parseNbstatResponse(buf: Buffer, id?: number): NetbiosStatus | null {
  if (buf.length < 12) return null;
  if (id !== undefined && buf.readUInt16BE(0) !== (id & 0xffff)) return null;
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) === 0 || (flags & 0x000f) !== 0) return null;
  if (buf.readUInt16BE(6) < 1) return null; // ANCOUNT
  let at = 12;
  for (let i = 0; i < buf.readUInt16BE(4); i++) {
    // RFC 1002 replies carry no question, but skip any a responder echoes.
    const q = readName(buf, at);
    if (!q || q.next + 4 > buf.length) return null;
    at = q.next + 4;
  }
  const n = readName(buf, at);
  if (!n || n.next + 10 > buf.length) return null;
  if (buf.readUInt16BE(n.next) !== 0x21) return null;
  const rdlen = buf.readUInt16BE(n.next + 8);
  let off = n.next + 10;
  const end = Math.min(buf.length, off + rdlen);
  if (off + 1 > end) return null;
  const count = buf[off++];
  const names: NetbiosStatus["names"] = [];
  for (let i = 0; i < count; i++) {
    if (off + 18 > end) return null;
    const name = buf.toString("latin1", off, off + 15).replace(/[\x00 ]+$/, "").replace(/[^\x21-\x7e ]/g, "");
    const suffix = buf[off + 15];
    const group = (buf.readUInt16BE(off + 16) & 0x8000) !== 0;
    names.push({ name, suffix, group });
    off += 18;
  }
  let mac: string | null = null;
  if (off + 6 <= end) {
    const m = buf.subarray(off, off + 6);
    if (m.some((b) => b !== 0)) mac = Array.from(m, (b) => b.toString(16).padStart(2, "0")).join(":");
  }
  const workstation = names.find((x) => x.suffix === 0x00 && !x.group && x.name) ?? names.find((x) => !x.group && x.name);
  if (!workstation) return null;
  const group = names.find((x) => x.suffix === 0x00 && x.group && x.name)?.name ?? null;
  return { name: workstation.name, group, mac, names };
}

export async function netbiosStatus(ip: string, timeoutMs = DEFAULTS.netbios_timeout_ms, signal?: AbortSignal): Promise<NetbiosStatus | null> {
  assertIPv4(ip);
  const id = (Math.random() * 0xffff) | 0;
  let status: NetbiosStatus | null = null;
  await udpExchange(ip, 137, encodeNbstatQuery(id), timeoutMs, (msg) => {
    status = parseNbstatResponse(msg, id);
    return status !== null;
  }, signal);
  return status;
}

// ---- all together ----------------------------------------------------------------------------------------

export async function resolveHostname(ip: string, opts: HostnameOptions = {}): Promise<HostnameResult> {
  assertIPv4(ip);
  const o = { ...DEFAULTS, ...opts };
  const sources = new Set(o.sources ?? ["dns", "mdns", "netbios"]);
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const result: HostnameResult = { hostname: null, source: null, fqdn: null };

  const attempts: Promise<void>[] = [];
  const win = (source: HostnameSource, fqdn: string | null, hostname: string | null) => {
    if (result.source || !hostname) return;
    Object.assign(result, { source, fqdn, hostname });
    stop.abort();
  };
  if (sources.has("dns")) {
    attempts.push(reverseDns(ip, o.dns_timeout_ms).then((n) => win("dns", n, n)));
  }
  if (sources.has("mdns")) {
    attempts.push(mdnsName(ip, o.mdns_timeout_ms, signal).then((n) => win("mdns", n, n ? n.replace(/\.local$/i, "") : null)));
  }
  if (sources.has("netbios")) {
    attempts.push(netbiosStatus(ip, o.netbios_timeout_ms, signal).then((s) => {
      if (s) result.netbios = s;
      win("netbios", s?.name ?? null, s?.name ?? null);
    }));
  }
  // Resolve as soon as one source names the host, or when all have given up.
  await new Promise<void>((resolve) => {
    signal.addEventListener("abort", () => resolve(), { once: true });
    Promise.all(attempts).then(() => resolve());
  });
  return result;
}
