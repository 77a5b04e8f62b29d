// Host discovery sweeps: the API the CLI and the scan pipeline call.
//
//   sweep(opts)     raw-socket sweep (ARP on attached subnets, ICMP echo
//                   elsewhere); throws RawSocketPermissionError without
//                   CAP_NET_RAW.
//   discover(opts)  sweep(), or the degraded fallback (fallback.ts) when raw
//                   sockets are not permitted; says which it did.
//
// The native engine runs in short slices (sliceMs) with the event loop
// getting a turn in between, so a sweep never blocks the server for long.
import { RawSocketPermissionError } from "./errors.ts";
import { attachedInterface, listInterfaces, type NetInterface } from "./interfaces.ts";
import { Errno, type FrameFlagName } from "./native-loader.ts";
import { Method, NativeSweep, NativeSweepError, type NativeProgress, type NativeResult } from "./native-sweep.ts";
import { type Neighbour, readNeighbours } from "./neighbours.ts";
import { isExcludedMac, type SweepTargets } from "./targets.ts";

/** "tcp": a routed host that ignored echo but answered a TCP connect (routed.ts). */
export type SweepMethod = "arp" | "icmp" | "neigh" | "tcp";

export interface SweepResult {
  ip: string;
  mac: string | null;
  rtt_ms: number | null;
  method: SweepMethod;
  /** Which probe (1 = first) was the latest sent when the answer came. */
  attempt: number;
  /** Decoder hints: diffFrameAddr (spoofing/proxy sign), localAdmin (randomised MAC), conflict, vlan... */
  flags: FrameFlagName[];
  iface: string | null;
}

export interface SweepProgress {
  total: number;
  sent: number;
  received: number;
  answered: number;
  finished: number;
  elapsedMs: number;
  /** When the latest probe left (since the start): sent / lastSendMs is the achieved rate. */
  lastSendMs: number;
}

export interface SweepOptions {
  /** What to sweep and what to leave out, already validated and expanded (targets.ts parseTargets). */
  targets: SweepTargets;
  /** Restrict ARP to this interface; by default every attached subnet is ARP-swept on its own interface. */
  iface?: string;
  /** Transmit rate in packets per second. */
  rate?: number;
  /** Extra probes for a target that stays silent. */
  retries?: number;
  /** Longest wait for an answer after a probe (ms). */
  timeoutMs?: number;
  /** Shortest wait before re-probing (ms); the adaptive wait is max(floor, 3 x p75 RTT). */
  floorMs?: number;
  /** Least time between a target's first probe and giving it up (ms): room for sleeping hosts. */
  lingerMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  /** Called with each answering host as soon as it answers (excluded MACs left out), so later stages can
   *  start while the sweep still waits for late answers; the returned list is the complete one. */
  onAnswer?: (r: SweepResult) => void;
  /** Longest time one native slice may hold the event loop. */
  sliceMs?: number;
}

export const SWEEP_DEFAULTS = { rate: 5000, retries: 5, timeoutMs: 2000, floorMs: 60, lingerMs: 700, sliceMs: 20 } as const;

/** A unit of native work: one interface's ARP targets plus (in the first
 * group) the ICMP ones, which need no interface. */
export interface SweepGroup {
  iface: NetInterface | null;
  arp: number[];
  icmp: number[];
}

/** Decide per address: ARP when it is on a subnet attached to an interface
 * (only `ifaceName` when given), ICMP echo otherwise. */
export function planSweep(addresses: number[], ifaces: NetInterface[], ifaceName?: string): SweepGroup[] {
  const byIface = new Map<string, SweepGroup>();
  const icmp: number[] = [];
  for (const ip of addresses) {
    const i = attachedInterface(ip, ifaces, ifaceName);
    // Our own address never answers our ARP; ping it like any other host.
    if (!i || i.ipNum === ip) {
      icmp.push(ip);
      continue;
    }
    const key = `${i.name}/${i.ip}`;
    let g = byIface.get(key);
    if (!g) byIface.set(key, (g = { iface: i, arp: [], icmp: [] }));
    g.arp.push(ip);
  }
  const groups = [...byIface.values()];
  if (icmp.length) {
    if (groups.length) groups[0].icmp = icmp;
    else groups.push({ iface: null, arp: [], icmp });
  }
  return groups;
}

let icmpIdCounter = 0;
function nextIcmpId(): number {
  icmpIdCounter = (icmpIdCounter + 1) & 0xff;
  return ((process.pid & 0xff) << 8) | icmpIdCounter;
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

export interface RunGroupOptions {
  rate: number;
  retries: number;
  timeoutMs: number;
  floorMs: number;
  lingerMs: number;
  sliceMs: number;
  flags: number;
  signal?: AbortSignal;
  onProgress?: (p: NativeProgress) => void;
  onAnswer?: (r: SweepResult) => void;
}

/** Run one native sweep to completion in slices; returns its answers. */
export async function runNativeSweep(ifaceName: string, srcIp: number, arp: number[], icmp: number[], o: RunGroupOptions): Promise<SweepResult[]> {
  const targets = Uint32Array.from([...arp, ...icmp]);
  const methods = new Uint8Array(targets.length);
  methods.fill(Method.icmp, arp.length);
  let s: NativeSweep;
  try {
    s = NativeSweep.open(ifaceName, targets, methods, {
      ratePps: o.rate,
      retries: o.retries,
      timeoutMs: o.timeoutMs,
      floorMs: o.floorMs,
      lingerMs: o.lingerMs,
      srcIp,
      flags: o.flags,
      icmpId: nextIcmpId(),
    });
  } catch (e) {
    if (e instanceof NativeSweepError && (e.errno === Errno.EPERM || e.errno === Errno.EACCES)) throw new RawSocketPermissionError(e.errno);
    throw e;
  }
  const cancel = () => s.cancel();
  o.signal?.addEventListener("abort", cancel);
  try {
    if (o.signal?.aborted) s.cancel();
    let lastReport = 0;
    let announced = 0;
    const announce = () => {
      for (const r of s.results(announced)) {
        announced++;
        o.onAnswer!(toSweepResult(r, ifaceName));
      }
    };
    while (s.step(o.sliceMs)) {
      if (o.onProgress && performance.now() - lastReport >= 100) {
        lastReport = performance.now();
        o.onProgress(s.progress());
      }
      if (o.onAnswer) announce();
      await yieldToEventLoop();
    }
    o.onProgress?.(s.progress());
    if (o.onAnswer) announce();
    return s.results().map((r) => toSweepResult(r, ifaceName));
  } finally {
    o.signal?.removeEventListener("abort", cancel);
    s.close();
  }
}

function toSweepResult(r: NativeResult, ifaceName: string): SweepResult {
  return {
    ip: r.ip,
    mac: r.mac,
    rtt_ms: Math.round(r.rttUs / 10) / 100,
    method: r.method,
    attempt: r.attempt,
    flags: r.flags,
    iface: r.method === "arp" ? ifaceName : null,
  };
}

export function compareIp(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** This host's own addresses are not probed: they are not devices on the
 * network (arp-scan skips them too), and answering ourselves proves nothing. */
export function withoutOwnAddresses(addresses: number[], ifaces: NetInterface[]): number[] {
  const own = new Set(ifaces.map((i) => i.ipNum));
  return addresses.filter((a) => !own.has(a));
}

/** Raw-socket sweep. Results sorted by address, excluded MACs removed. `ifaces`: this host's
 * interfaces, when the caller has listed them already. */
export async function sweep(opts: SweepOptions, ifaces: NetInterface[] = listInterfaces()): Promise<SweepResult[]> {
  const addresses = withoutOwnAddresses(opts.targets.addresses, ifaces);
  const exclusions = opts.targets.exclusions;
  if (opts.iface && !ifaces.some((i) => i.name === opts.iface)) {
    throw new NativeSweepError(Errno.ENODEV, `interface ${opts.iface} does not exist or has no IPv4 address`);
  }
  const groups = planSweep(addresses, ifaces, opts.iface);
  const o = { ...SWEEP_DEFAULTS, ...definedOnly(opts) };
  const total = addresses.length;
  const done = { sent: 0, received: 0, answered: 0, finished: 0, elapsedMs: 0 };
  const results: SweepResult[] = [];
  // Groups run one after another so the configured rate is the total rate.
  for (const g of groups) {
    if (opts.signal?.aborted) break;
    let last: NativeProgress | null = null;
    const report = (p: NativeProgress) => {
      last = p;
      opts.onProgress?.({
        total,
        sent: done.sent + p.sent,
        received: done.received + p.received,
        answered: done.answered + p.answered,
        finished: done.finished + p.finished,
        elapsedMs: done.elapsedMs + p.elapsedMs,
        lastSendMs: done.elapsedMs + p.lastSendMs,
      });
    };
    const tell = opts.onAnswer;
    const onAnswer = tell && ((r: SweepResult) => {
      if (!isExcludedMac(r.mac, exclusions)) tell(r);
    });
    results.push(...(await runNativeSweep(g.iface?.name ?? "", g.iface?.ipNum ?? 0, g.arp, g.icmp, { ...o, flags: 0, signal: opts.signal, onProgress: report, onAnswer })));
    const p = last as NativeProgress | null;
    if (p) for (const k of ["sent", "received", "answered", "finished", "elapsedMs"] as const) done[k] += p[k];
  }
  mergeNeighbours(results, groups);
  return results.filter((r) => !isExcludedMac(r.mac, exclusions)).sort((a, b) => compareIp(a.ip, b.ip));
}

/** Merge the kernel neighbour table into a raw sweep's results, for the
 * targets the sweep pinged rather than ARPed (only on-link ones can have an
 * entry, e.g. subnets of another interface when --iface restricts ARP): an
 * answering host gets its MAC, a silent one with a resolved entry is reported
 * as "neigh". Targets that were ARP-swept are not: a live host on Ethernet
 * answers ARP, so an entry for a silent one is stale (the kernel keeps up to
 * gc_thresh1 entries however old). */
export function mergeNeighbours(results: SweepResult[], groups: SweepGroup[], neighbours: Neighbour[] = readNeighbours()): void {
  const pinged = new Set(groups.flatMap((g) => g.icmp));
  if (pinged.size === 0) return;
  const found = new Map(results.map((r) => [r.ip, r]));
  for (const n of neighbours) {
    if (!pinged.has(n.ipNum)) continue;
    const r = found.get(n.ip);
    if (r) {
      r.mac ??= n.mac;
      continue;
    }
    results.push({ ip: n.ip, mac: n.mac, rtt_ms: null, method: "neigh", attempt: 0, flags: [], iface: n.iface });
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

