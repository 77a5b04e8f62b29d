// IPv6 neighbours, actively, beside the IPv4 sweep: on each swept interface, an ICMPv6 echo to all
// nodes (ff02::1) from one of our own addresses per prefix (link-local, ULA, global), so every host
// answers from its address of that kind, and a neighbour solicitation to the solicited-node group
// of each address already known (privacy addresses included), so its owner advertises it again.
// Each answer links one address to the MAC in its Ethernet source, and to nothing else
// (native/probe6.c checks that a link-layer option, if any, names that same MAC).
import { networkInterfaces } from "node:os";
import { log } from "../log.ts";
import { Errno } from "./native-loader.ts";
import { Nd6Prober, Nd6ProberError } from "./native-probe6.ts";
import { ip6Scope, parseIp6, type Ip6Scope } from "./ip6.ts";

/** An address a host's own answer spoke for. */
export type Ip6Answer = { mac: string; address: string; scope: Ip6Scope; kind: "echo" | "advert" };

export interface Sweep6Options {
  /** Interfaces to probe (those the IPv4 sweep ARP-swept). */
  ifaces: readonly string[];
  /** IPv6 addresses already known on the LAN, newest first: each gets one neighbour solicitation. */
  known?: readonly string[];
  /** Transmit rate, packets per second (the sweep's). */
  rate?: number;
  /** How long answers are awaited after the last probe left. */
  waitMs?: number;
  signal?: AbortSignal;
}

export type Sweep6Outcome = {
  answers: Ip6Answer[];
  /** Probes sent (echo requests and solicitations). */
  sent: number;
  /** Interfaces probed; an interface without IPv6 (no address of ours on it) is skipped. */
  probed: string[];
  /** Raw sockets are not permitted: nothing was sent. */
  denied: boolean;
};

/** Solicitations per sweep at most: a device keeps 32 addresses, and a LAN a few hundred devices. */
export const SOLICIT_MAX = 2048;
/** Answers kept per sweep, and per MAC (a device keeps its newest 32 IPv6 addresses anyway). */
const ANSWERS_MAX = 8192;
const PER_MAC = 32;
/** Our own source addresses per interface at most (one per prefix). */
const SOURCES_MAX = 8;
/** Answers on a LAN come within milliseconds; this bounds what IPv6 adds to a sweep. */
const WAIT_MS = 1000;

/** Our unicast IPv6 addresses on `name`, one per /64 prefix: link-local first. */
export function ownSources(name: string, all = networkInterfaces()): string[] {
  const byPrefix = new Map<string, string>();
  for (const a of all[name] ?? []) {
    if (a.family !== "IPv6" || a.internal) continue;
    const bytes = parseIp6(a.address);
    if (!bytes || ip6Scope(a.address.split("%")[0]) === null) continue;
    const prefix = Buffer.from(bytes.subarray(0, 8)).toString("hex");
    if (!byPrefix.has(prefix)) byPrefix.set(prefix, a.address.split("%")[0]);
  }
  return [...byPrefix.values()].sort((a, b) => Number(ip6Scope(b) === "link") - Number(ip6Scope(a) === "link")).slice(0, SOURCES_MAX);
}

export async function sweep6(opts: Sweep6Options): Promise<Sweep6Outcome> {
  const rate = Math.max(1, opts.rate ?? 1000);
  const known = [...new Set(opts.known ?? [])].filter((a) => ip6Scope(a) !== null).slice(0, SOLICIT_MAX);
  const answers = new Map<string, Ip6Answer>();
  const probed: string[] = [];
  let sent = 0;
  // The LAN is hostile: anyone who saw our echo can answer it from any number of made-up addresses.
  // Each MAC keeps its first PER_MAC answers and the sweep its first ANSWERS_MAX, so memory is bounded.
  const perMac = new Map<string, number>();
  const collect = (p: Nd6Prober) => {
    for (const r of p.read()) {
      const scope = ip6Scope(r.address);
      if (scope === null || answers.size >= ANSWERS_MAX) continue;
      const key = `${r.mac} ${r.address}`;
      if (answers.has(key)) continue;
      const n = perMac.get(r.mac) ?? 0;
      if (n >= PER_MAC) continue;
      perMac.set(r.mac, n + 1);
      answers.set(key, { mac: r.mac, address: r.address, scope, kind: r.kind });
    }
  };
  for (const name of opts.ifaces) {
    if (opts.signal?.aborted) break;
    const sources = ownSources(name);
    if (sources.length === 0) continue; // IPv6 is off on this interface: nothing to speak from
    let p: Nd6Prober;
    try {
      p = Nd6Prober.open(name);
    } catch (e) {
      if (e instanceof Nd6ProberError && (e.errno === Errno.EPERM || e.errno === Errno.EACCES)) return { answers: [], sent, probed, denied: true };
      // An interface gone since the IPv4 plan was made: IPv6 is a bonus, never a reason to fail the scan.
      log.warn("IPv6 sweep skipped an interface", { iface: name, error: e instanceof Error ? e.message : String(e) });
      continue;
    }
    try {
      probed.push(name);
      for (const src of sources) if (p.echoAll(src) === 0) sent++;
      // Solicitations from our link-local address (every host has one on the link), paced at the sweep's rate.
      const src = sources[0];
      const burst = Math.max(1, Math.floor(rate / 50));
      for (let i = 0; i < known.length && !opts.signal?.aborted; i += burst) {
        for (const target of known.slice(i, i + burst)) if (p.solicit(src, target) === 0) sent++;
        collect(p);
        await Bun.sleep(20);
      }
      const until = Date.now() + (opts.waitMs ?? WAIT_MS);
      while (Date.now() < until && !opts.signal?.aborted) {
        collect(p);
        await Bun.sleep(50);
      }
      collect(p);
    } finally {
      p.close();
    }
  }
  return { answers: [...answers.values()], sent, probed, denied: false };
}
