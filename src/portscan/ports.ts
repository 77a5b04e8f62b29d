// TCP connect port scanner: which ports of which hosts are open, closed or filtered.
//
//   scanPorts(hosts: string[], ports: number[], opts?: PortScanOptions): Promise<PortScanResult>
//   startPortScan(ports: number[], opts?: PortScanOptions): PortScan   hosts added as they are found, then finish()
//   scanHostPorts(host: string, ports: number[], opts?: PortScanOptions): Promise<HostPortResult>
//   timeoutFor(rtt: RttEstimate, opts?): number      the per-host timeout rule (exported for tests)
//
// States: open = the connect completed; closed = refused (the host answered RST); filtered = no answer before
// the timeout, or an ICMP unreachable / local firewall error. A port that timed out is tried once more
// (`retries`, default 1) because a single lost SYN must not hide an open port; ICMP errors are final.
//
// Speed comes from parallelism bounded twice: `concurrency` connects in flight overall (file descriptors,
// ephemeral ports, the event loop) and `per_host_concurrency` per host (a small device's SYN backlog and
// rate limits). Hosts are served round-robin so a slow host does not starve the others.
//
// Timeouts adapt per host like nmap's RTT estimation (RFC 6298): every answer (connect or refusal) is an RTT
// sample, srtt/rttvar are updated, and the timeout is srtt + 4·rttvar clamped to [min_timeout_ms,
// max_timeout_ms]; before the first sample the host uses initial_timeout_ms. A LAN host therefore gets the
// 100 ms floor after its first answer instead of waiting a fixed second on every dropped port.
//
// Cancellation: abort `signal` and the promise resolves with what was found so far (`complete: false`);
// in-flight connects are torn down. `on_progress` is called at most every `progress_interval_ms` and once at
// the end with the number of port probes finished (a retried port counts once).
//
// Connects go through libc (src/portscan/tcp-libc.ts: non-blocking sockets, one poll() loop, exact errno) where
// glibc is available, else through node:net (`backend` forces one). Under node:net, Bun 1.4 reports ICMP
// unreachable answers as ECONNREFUSED, so such ports read "closed" instead of "filtered".
//
// Only IPv4 literals are accepted as hosts: the scanner never resolves names.
import net from "node:net";
import { libcConnector, type ConnectOutcome, type Connector } from "./tcp-libc.ts";

export type PortState = "open" | "closed" | "filtered";

export type PortScanOptions = {
  /** Connects in flight across all hosts (default 512). */
  concurrency?: number;
  /** Connects in flight per host (default 128). */
  per_host_concurrency?: number;
  /** Timeout before a host's first RTT sample (default 1000 ms). */
  initial_timeout_ms?: number;
  /** Floor of the adaptive timeout (default 100 ms, nmap -T4's value). */
  min_timeout_ms?: number;
  /** Ceiling of the adaptive timeout (default 1250 ms, nmap -T4's value). */
  max_timeout_ms?: number;
  /** Extra attempts for a port that timed out (default 1). */
  retries?: number;
  signal?: AbortSignal;
  on_progress?: (p: PortScanProgress) => void;
  progress_interval_ms?: number;
  /** Called as soon as a port is found open (e.g. to start service detection early). */
  on_open?: (host: string, port: OpenPort) => void;
  /** "auto" (default): libc where available, else node:net. */
  backend?: "auto" | "libc" | "node";
};

export type PortScanProgress = { ports_scanned: number; ports_total: number; open_found: number };

export const MAX_FILTERED_LISTED = 1000;

export type OpenPort = { port: number; protocol: "tcp"; rtt_ms: number };

export type FilteredPort = { port: number; reason: "timeout" | "unreachable" | "prohibited" };

export type HostPortResult = {
  host: string;
  open: OpenPort[];
  /** The filtered ports, listed up to MAX_FILTERED_LISTED (a firewalled host in an intensive scan
   *  would otherwise hold 65,535 entries); `filtered_count` has them all. */
  filtered: FilteredPort[];
  filtered_count: number;
  closed_count: number;
  /** Ports not finished because the scan was cancelled. */
  unscanned_count: number;
  rtt: RttEstimate;
  /** The timeout in force at the end of the scan of this host. */
  timeout_ms: number;
};

export type PortScanResult = {
  hosts: HostPortResult[];
  complete: boolean;
  ports_scanned: number;
  elapsed_ms: number;
};

export type RttEstimate = { srtt_ms: number | null; rttvar_ms: number | null; samples: number };

const DEFAULTS = {
  concurrency: 512,
  per_host_concurrency: 128,
  initial_timeout_ms: 1000,
  min_timeout_ms: 100,
  max_timeout_ms: 1250,
  retries: 1,
  progress_interval_ms: 250,
};

export function timeoutFor(rtt: RttEstimate, opts: PortScanOptions = {}): number {
  const o = { ...DEFAULTS, ...opts };
  if (rtt.srtt_ms === null || rtt.rttvar_ms === null) return o.initial_timeout_ms;
  const t = rtt.srtt_ms + 4 * rtt.rttvar_ms;
  return Math.round(Math.min(o.max_timeout_ms, Math.max(o.min_timeout_ms, t)));
}

function addSample(rtt: RttEstimate, ms: number): void {
  // RFC 6298 §2: alpha = 1/8, beta = 1/4.
  if (rtt.srtt_ms === null || rtt.rttvar_ms === null) {
    rtt.srtt_ms = ms;
    rtt.rttvar_ms = ms / 2;
  } else {
    rtt.rttvar_ms = 0.75 * rtt.rttvar_ms + 0.25 * Math.abs(rtt.srtt_ms - ms);
    rtt.srtt_ms = 0.875 * rtt.srtt_ms + 0.125 * ms;
  }
  rtt.samples++;
}

type Outcome = ConnectOutcome;

// Errors from the remote end or the path; anything else (EMFILE, EADDRNOTAVAIL, ENOBUFS...) is our own
// resource shortage and the port is simply tried again shortly.
const UNREACHABLE = new Set(["EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN"]);
const PROHIBITED = new Set(["EACCES", "EPERM"]);

type Attempt = { cancel: () => void };

const nodeConnect: Connector = (host, port, timeoutMs, done) => {
  const started = performance.now();
  let finished = false;
  const socket = new net.Socket();
  const finish = (o: Outcome) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.removeAllListeners();
    socket.on("error", () => {}); // late errors after teardown must not become uncaught exceptions
    // An RST instead of a FIN leaves no TIME_WAIT behind on our side for every open port we touch.
    if (typeof socket.resetAndDestroy === "function" && o.kind === "open") socket.resetAndDestroy();
    else socket.destroy();
    done(o);
  };
  const timer = setTimeout(() => finish({ kind: "filtered", reason: "timeout" }), timeoutMs);
  socket.once("connect", () => finish({ kind: "open", rtt: performance.now() - started }));
  socket.once("error", (e: NodeJS.ErrnoException) => {
    const code = e.code ?? "";
    if (code === "ECONNREFUSED" || code === "ECONNRESET") finish({ kind: "closed", rtt: performance.now() - started });
    else if (code === "ETIMEDOUT") finish({ kind: "filtered", reason: "timeout" });
    else if (UNREACHABLE.has(code)) finish({ kind: "filtered", reason: "unreachable" });
    else if (PROHIBITED.has(code)) finish({ kind: "filtered", reason: "prohibited" });
    else finish({ kind: "local-error" });
  });
  socket.connect({ host, port, family: 4 });
  return { cancel: () => finish({ kind: "aborted" }) };
};

function pickConnector(backend: PortScanOptions["backend"]): Connector {
  if (backend === "node") return nodeConnect;
  const libc = libcConnector();
  if (libc) return libc;
  if (backend === "libc") throw new Error("the libc connect backend is not available on this system");
  return nodeConnect;
}

type HostState = {
  result: HostPortResult;
  ports: number[];
  next: number; // index of the next never-tried port
  retryQueue: number[];
  tries: Map<number, number>;
  inflight: number;
  /** Ports whose final state is known or pending; the host is done when this reaches ports.length. */
  settled: number;
};

export async function scanPorts(hosts: string[], ports: number[], opts: PortScanOptions = {}): Promise<PortScanResult> {
  for (const h of hosts) if (!net.isIPv4(h)) throw new TypeError(`not an IPv4 address: ${JSON.stringify(h)}`);
  const scan = startPortScan(ports, opts);
  for (const h of hosts) scan.add(h);
  return scan.finish();
}

/** A port scan that takes its hosts as they become known (e.g. while discovery still listens for late
 *  answers): `add` starts a host at once, `finish` says no more are coming and resolves when all are done. */
export type PortScan = { add(host: string): void; finish(): Promise<PortScanResult> };

export function startPortScan(ports: number[], opts: PortScanOptions = {}): PortScan {
  const o = { ...DEFAULTS, ...opts };
  for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`not a TCP port: ${p}`);
  if (o.concurrency < 1 || o.per_host_concurrency < 1) throw new RangeError("concurrency limits must be >= 1");
  const connect = pickConnector(o.backend);
  const portList = [...new Set(ports)];

  const started = performance.now();
  const states: HostState[] = [];
  const known = new Set<string>();
  let total = 0;
  let scanned = 0;
  let openFound = 0;
  let inflight = 0;
  let rr = 0; // round-robin cursor over hosts
  let unsettled = 0; // hosts with ports not yet settled
  let aborted = false;
  let closed = false;
  let finished = false;
  let lastProgress = 0;
  let backoffTimer: ReturnType<typeof setTimeout> | null = null;
  const attempts = new Set<Attempt>();
  let resolveDone: (r: PortScanResult) => void = () => {};
  const done = new Promise<PortScanResult>((r) => (resolveDone = r));

  const progress = (force: boolean) => {
    if (!o.on_progress) return;
    const now = performance.now();
    if (!force && now - lastProgress < o.progress_interval_ms) return;
    lastProgress = now;
    o.on_progress({ ports_scanned: scanned, ports_total: total, open_found: openFound });
  };

  const finishAll = () => {
    if (finished) return;
    finished = true;
    if (backoffTimer) clearTimeout(backoffTimer);
    o.signal?.removeEventListener("abort", onAbort);
    for (const s of states) {
      s.result.open.sort((a, b) => a.port - b.port);
      s.result.filtered.sort((a, b) => a.port - b.port);
      s.result.unscanned_count = s.ports.length - s.settled;
      s.result.timeout_ms = timeoutFor(s.result.rtt, o);
    }
    progress(true);
    resolveDone({ hosts: states.map((s) => s.result), complete: !aborted, ports_scanned: scanned, elapsed_ms: performance.now() - started });
  };
  const maybeFinish = () => {
    if (closed && inflight === 0 && (aborted || unsettled === 0)) finishAll();
  };

  const onAbort = () => {
    aborted = true;
    for (const a of [...attempts]) a.cancel();
    maybeFinish();
  };

  const takePort = (s: HostState): number | undefined => {
    // Retries go first so that a host's scan ends soon after its last fresh port.
    if (s.retryQueue.length) return s.retryQueue.shift();
    if (s.next < s.ports.length) return s.ports[s.next++];
    return undefined;
  };

  const launch = (s: HostState, port: number) => {
    const tries = (s.tries.get(port) ?? 0) + 1;
    s.tries.set(port, tries);
    s.inflight++;
    inflight++;
    const attempt = connect(s.result.host, port, timeoutFor(s.result.rtt, o), (out) => {
      attempts.delete(attempt);
      s.inflight--;
      inflight--;
      settle(s, port, tries, out);
      if (!aborted) pump();
      maybeFinish();
    });
    attempts.add(attempt);
  };

  const settle = (s: HostState, port: number, tries: number, out: Outcome) => {
    const r = s.result;
    switch (out.kind) {
      case "open":
        addSample(r.rtt, out.rtt);
        r.open.push({ port, protocol: "tcp", rtt_ms: Math.round(out.rtt * 100) / 100 });
        openFound++;
        o.on_open?.(r.host, { port, protocol: "tcp", rtt_ms: out.rtt });
        break;
      case "closed":
        addSample(r.rtt, out.rtt);
        r.closed_count++;
        break;
      case "filtered":
        if (out.reason === "timeout" && tries <= o.retries) {
          s.retryQueue.push(port);
          return;
        }
        if (r.filtered.length < MAX_FILTERED_LISTED) r.filtered.push({ port, reason: out.reason });
        r.filtered_count++;
        break;
      case "local-error":
        // Our own shortage (fds, ephemeral ports): not the port's fault; try again after a pause.
        s.tries.set(port, tries - 1);
        s.retryQueue.push(port);
        if (!backoffTimer) backoffTimer = setTimeout(() => { backoffTimer = null; pump(); }, 20);
        return;
      case "aborted":
        return;
    }
    s.settled++;
    if (s.settled === s.ports.length) unsettled--;
    scanned++;
    progress(false);
  };

  const pump = () => {
    if (aborted || backoffTimer) return;
    let idle = 0;
    while (inflight < o.concurrency && idle < states.length) {
      const s = states[rr];
      rr = (rr + 1) % states.length;
      const port = s.inflight < o.per_host_concurrency ? takePort(s) : undefined;
      if (port === undefined) {
        idle++;
        continue;
      }
      idle = 0;
      launch(s, port);
    }
  };

  if (o.signal?.aborted) aborted = true;
  else o.signal?.addEventListener("abort", onAbort, { once: true });

  return {
    add(host) {
      if (closed) throw new Error("the port scan was finished; no more hosts can be added");
      if (!net.isIPv4(host)) throw new TypeError(`not an IPv4 address: ${JSON.stringify(host)}`);
      if (known.has(host)) return;
      known.add(host);
      states.push({
        result: { host, open: [], filtered: [], filtered_count: 0, closed_count: 0, unscanned_count: 0, rtt: { srtt_ms: null, rttvar_ms: null, samples: 0 }, timeout_ms: o.initial_timeout_ms },
        ports: portList,
        next: 0,
        retryQueue: [],
        tries: new Map(),
        inflight: 0,
        settled: 0,
      });
      total += portList.length;
      if (portList.length > 0) unsettled++;
      pump();
    },
    finish() {
      closed = true;
      maybeFinish();
      return done;
    },
  };
}

export async function scanHostPorts(host: string, ports: number[], opts: PortScanOptions = {}): Promise<HostPortResult> {
  return (await scanPorts([host], ports, opts)).hosts[0];
}
