// Service detection on open TCP ports: banner grab and small protocol probes, driven by probes.json.
//
//   detectService(host: string, port: number, opts?: ServiceOptions): Promise<ServiceInfo>
//   detectServices(host: string, ports: number[], opts?: ServiceOptions & { concurrency?: number }): Promise<ServiceInfo[]>
//   matchResponse(response: string, ctx: { probe: string; port: number; tls: boolean }): Match | null
//                                                    (pure: the probes.json rules, exported for tests)
//
// For each port: (1) connect (TLS first on tls_ports, e.g. 443, with certificate checks off: we only want to
// talk to it) and wait briefly for a banner (SSH, FTP, SMTP, MySQL, VNC and Telnet speak first); (2) if the
// banner names nothing, send the probes that list this port (HTTP GET, Redis PING, MQTT CONNECT, RDP X.224,
// SMB2 NEGOTIATE, PostgreSQL SSLRequest, MongoDB isMaster, ...), each on a fresh connection; (3) in deep mode
// also every other probe, and a TLS handshake on ports not known for TLS; (4) if nothing matched, the port's
// well-known name (method "port"). First match wins; rules are ordered specific → generic in probes.json.
//
// Reads are bounded (read_limit_bytes, default 16 KiB; the socket is dropped beyond it), every exchange has a
// hard deadline, and a quiet gap after the first bytes ends the wait early. Responses are matched as latin1
// strings so binary protocols can be described by regular expressions.
import { INVISIBLE } from "../net/wire-text.ts";
import net from "node:net";
import tls from "node:tls";
import probesData from "./probes.json" with { type: "json" };

export type ServiceInfo = {
  port: number;
  protocol: "tcp";
  /** "ssh", "http", "https", "redis", ...; null only when nothing answered and the port has no common name. */
  service: string | null;
  product: string | null;
  version: string | null;
  tls: boolean;
  /** How the name was found: a probe/banner matched, or only the port number suggests it. */
  method: "probe" | "banner" | "port" | "none";
  /** The probe whose answer matched ("banner" for a greeting), null for method port/none. */
  probe: string | null;
  /** The first printable bytes the service sent (≤ 200 chars), for display and fingerprints. */
  banner: string | null;
  /** e.g. title, server (HTTP Server header), auth_required ("true"/"false"), dialect (SMB), tls_subject. */
  extra: Record<string, string>;
  /** An OS suggested by the banner (e.g. "Linux (Ubuntu)" from an OpenSSH banner), if any. */
  os_hint: string | null;
};

export type ServiceOptions = {
  /** Deeper probing: all probes on every port, longer banner wait, TLS attempt on any port. */
  deep?: boolean;
  signal?: AbortSignal;
  /** Scale every wait (tests use < 1 to stay quick). */
  time_scale?: number;
};

type ProbeDef = { name: string; payload?: string; payload_hex?: string; ports?: number[]; wait_ms?: number };
type MatchDef = {
  service: string;
  pattern: string;
  flags?: string;
  probe?: string;
  ports?: number[];
  product?: string;
  version?: string;
  extra?: Record<string, string>;
  maps?: Record<string, Record<string, string>>;
};
type ExtractDef = { name: string; services: string[]; pattern: string; flags?: string };

const data = probesData as unknown as {
  read_limit_bytes: number;
  connect_timeout_ms: number;
  idle_after_data_ms: number;
  banner_wait_ms: { normal: number; banner_ports: number; deep: number };
  banner_ports: number[];
  tls_ports: number[];
  probes: ProbeDef[];
  matches: MatchDef[];
  extract: ExtractDef[];
  os_hints: { pattern: string; os: string }[];
  port_names: Record<string, string>;
};

// Compile the table once; a bad regex in probes.json fails at import time, loudly, not on a customer's LAN.
const MATCHES = data.matches.map((m) => ({ ...m, re: new RegExp(m.pattern, m.flags ?? "") }));
const EXTRACTS = data.extract.map((e) => ({ ...e, re: new RegExp(e.pattern, e.flags ?? "") }));
const OS_HINTS = data.os_hints.map((h) => ({ os: h.os, re: new RegExp(h.pattern) }));
const BANNER_PORTS = new Set(data.banner_ports);
const TLS_PORTS = new Set(data.tls_ports);
const PROBES = data.probes.map((p) => ({
  ...p,
  bytes: p.payload_hex !== undefined ? Buffer.from(p.payload_hex, "hex") : null,
}));

export type Match = { service: string; product: string | null; version: string | null; extra: Record<string, string> };

function fill(template: string | undefined, m: RegExpExecArray): string | null {
  if (template === undefined) return null;
  const v = template.replace(/\$(\d)/g, (_, i) => m[Number(i)] ?? "").trim();
  return v === "" ? null : v;
}

export function matchResponse(response: string, ctx: { probe: string; port: number; tls: boolean }): Match | null {
  if (response.length === 0) return null;
  for (const rule of MATCHES) {
    if (rule.probe !== undefined && rule.probe !== ctx.probe) continue;
    if (rule.ports !== undefined && !rule.ports.includes(ctx.port)) continue;
    const m = rule.re.exec(response);
    if (!m) continue;
    const extra: Record<string, string> = {};
    for (const [k, t] of Object.entries(rule.extra ?? {})) {
      const raw = fill(t, m);
      if (raw === null) continue;
      const mapped = rule.maps?.[k]?.[raw];
      extra[k] = mapped ?? (rule.maps?.[k] ? Buffer.from(raw, "latin1").toString("hex") : raw);
    }
    let service = rule.service;
    if (ctx.tls && service === "http") service = "https";
    for (const e of EXTRACTS) {
      if (!e.services.includes(rule.service)) continue;
      const x = e.re.exec(response);
      if (x?.[1]) extra[e.name] = cleanText(x[1]);
    }
    return { service, product: fill(rule.product, m), version: fill(rule.version, m), extra };
  }
  return null;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
function cleanText(s: string): string {
  // Titles arrive as latin1-decoded bytes; most devices send UTF-8, so re-decode before tidying.
  const text = Buffer.from(s, "latin1").toString("utf8");
  return text
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all: string, e: string) => {
      if (e[0] === "#") {
        const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : all;
      }
      return ENTITIES[e.toLowerCase()] ?? all;
    })
    .replace(/[\x00-\x1f\x7f]+/g, " ")
    .replace(INVISIBLE, "")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 200);
}

function printable(s: string): string | null {
  const t = s.replace(/[^\x20-\x7e]+/g, " ").replace(/\s+/g, " ").trim().slice(0, 200);
  return t === "" ? null : t;
}

type Exchange = { data: string; tls: boolean; tlsSubject: string | null; connected: boolean };

/** One connection: optional TLS, optional payload, then a bounded, deadline-limited read. */
function exchange(host: string, port: number, useTls: boolean, payload: Buffer | null, waitMs: number, scale: number, signal?: AbortSignal): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let connected = false;
    let tlsSubject: string | null = null;
    let settled = false;
    let idleTimer: ReturnType<typeof setTimeout> | null = null;
    let waitTimer: ReturnType<typeof setTimeout> | null = null;
    const connectTimer = setTimeout(() => done(), data.connect_timeout_ms * scale);
    const onAbort = () => done();
    signal?.addEventListener("abort", onAbort, { once: true });

    const socket: net.Socket = useTls
      ? tls.connect({ host, port, rejectUnauthorized: false, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port, family: 4 });

    function done() {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      if (idleTimer) clearTimeout(idleTimer);
      if (waitTimer) clearTimeout(waitTimer);
      signal?.removeEventListener("abort", onAbort);
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.destroy();
      resolve({ data: Buffer.concat(chunks).toString("latin1"), tls: useTls && connected, tlsSubject, connected });
    }

    socket.once(useTls ? "secureConnect" : "connect", () => {
      connected = true;
      clearTimeout(connectTimer);
      if (useTls) {
        const cert = (socket as tls.TLSSocket).getPeerCertificate?.();
        const cn = cert?.subject?.CN;
        if (cn) tlsSubject = Array.isArray(cn) ? cn.join(",") : String(cn);
      }
      if (payload && payload.length) socket.write(payload);
      waitTimer = setTimeout(done, waitMs * scale);
    });
    socket.on("data", (chunk: Buffer) => {
      const room = data.read_limit_bytes - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (size >= data.read_limit_bytes) return done();
      // Most services say all they will say at once; a short silence after data ends the wait early.
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(done, data.idle_after_data_ms * scale);
    });
    socket.once("end", done);
    socket.once("close", done);
    socket.once("error", done);
  });
}

function osHint(text: string): string | null {
  for (const h of OS_HINTS) if (h.re.test(text)) return h.os;
  return null;
}

function portName(port: number): string | null {
  return data.port_names[String(port)] ?? null;
}

export async function detectService(host: string, port: number, opts: ServiceOptions = {}): Promise<ServiceInfo> {
  if (!net.isIPv4(host)) throw new TypeError(`not an IPv4 address: ${JSON.stringify(host)}`);
  const scale = opts.time_scale ?? 1;
  const deep = opts.deep ?? false;
  let banner: string | null = null;
  let firstText = "";
  let tlsWorks: boolean | null = null;
  let tlsSubject: string | null = null;

  const result = (m: Match, probe: string, viaTls: boolean, text: string): ServiceInfo => {
    const extra = { ...m.extra };
    if (viaTls && tlsSubject) extra.tls_subject = tlsSubject;
    return {
      port, protocol: "tcp", service: m.service, product: m.product, version: m.version, tls: viaTls,
      method: probe === "banner" ? "banner" : "probe", probe, banner: banner ?? printable(text), extra,
      os_hint: osHint(text),
    };
  };

  const attempt = async (probe: (typeof PROBES)[number], useTls: boolean, waitMs: number) => {
    const payload = probe.bytes ?? (probe.payload ? Buffer.from(probe.payload.replaceAll("{host}", host), "latin1") : null);
    const x = await exchange(host, port, useTls, payload, waitMs, scale, opts.signal);
    if (useTls) {
      tlsWorks = x.connected;
      if (x.tlsSubject) tlsSubject = x.tlsSubject;
    }
    if (x.data && !firstText) firstText = x.data;
    if (probe.name === "banner" && x.data) banner = printable(x.data);
    const m = matchResponse(x.data, { probe: probe.name, port, tls: x.tls });
    return { m, x };
  };

  const bannerProbe = PROBES[0];
  const bannerWait = deep ? data.banner_wait_ms.deep : BANNER_PORTS.has(port) ? data.banner_wait_ms.banner_ports : data.banner_wait_ms.normal;
  const targeted = PROBES.filter((p) => p.name !== "banner" && p.ports?.includes(port));
  const others = deep ? PROBES.filter((p) => p.name !== "banner" && !p.ports?.includes(port)) : [];

  // TLS first on TLS ports; fall back to plain text when the handshake fails.
  const tlsFirst = TLS_PORTS.has(port);
  let useTls = false;
  if (tlsFirst) {
    const b = await attempt(bannerProbe, true, bannerWait);
    if (b.m) return result(b.m, "banner", true, b.x.data);
    useTls = tlsWorks === true;
  } else {
    const b = await attempt(bannerProbe, false, bannerWait);
    if (b.m) return result(b.m, "banner", false, b.x.data);
  }

  for (const probe of [...targeted, ...others]) {
    if (opts.signal?.aborted) break;
    const r = await attempt(probe, useTls, probe.wait_ms ?? 2000);
    if (r.m) return result(r.m, probe.name, useTls, r.x.data);
  }

  // Deep mode: a service may speak TLS on a port nobody expects it on (admin UIs on odd ports).
  if (deep && !tlsFirst && !opts.signal?.aborted) {
    const http = PROBES.find((p) => p.name === "http-get")!;
    const r = await attempt(http, true, http.wait_ms ?? 2000);
    if (r.m) return result(r.m, "http-get", true, r.x.data);
  }

  const name = portName(port);
  const extra: Record<string, string> = {};
  if (tlsWorks && tlsSubject) extra.tls_subject = tlsSubject;
  return {
    port, protocol: "tcp", service: name, product: null, version: null, tls: tlsWorks === true,
    method: name ? "port" : "none", probe: null, banner: banner ?? printable(firstText), extra,
    os_hint: firstText ? osHint(firstText) : null,
  };
}

export async function detectServices(host: string, ports: number[], opts: ServiceOptions & { concurrency?: number } = {}): Promise<ServiceInfo[]> {
  const limit = Math.max(1, opts.concurrency ?? 8);
  const out: ServiceInfo[] = new Array(ports.length);
  let next = 0;
  const worker = async () => {
    while (next < ports.length && !opts.signal?.aborted) {
      const i = next++;
      out[i] = await detectService(host, ports[i], opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, ports.length) }, worker));
  return out.filter(Boolean).sort((a, b) => a.port - b.port);
}
