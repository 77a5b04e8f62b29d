// One scan, start to finish, without the database: discovery → ports → services, with names and
// vendors resolved alongside → observations. The scan manager persists what this returns.
import { discover } from "../net/discover.ts";
import { TCP_DISCOVERY_PORTS } from "../net/routed.ts";
import { guessDeviceType, guessOs } from "../identify/device-type.ts";
import { resolveHostname } from "../identify/hostnames.ts";
import { isRandomizedMac, lookupVendor } from "../identify/vendor.ts";
import { startPortScan } from "../portscan/ports.ts";
import { detectServices, type ServiceInfo } from "../portscan/services.ts";
import type { ScanProfile } from "../portscan/profiles.ts";
import type { SweepResult } from "../net/sweep.ts";
import type { Ip6Answer } from "../net/sweep6.ts";
import type { SweepTargets } from "../net/targets.ts";
import type { Observation, ObservedPort } from "../inventory/observation.ts";
import type { Phase } from "./enums.ts";

export { SCAN_PHASES, type Phase } from "./enums.ts";

export type Progress = {
  phase: Phase;
  hosts_total: number;
  hosts_found: number;
  hosts_processed: number;
  ports_scanned: number;
};

export type PipelineInput = {
  profile: ScanProfile;
  targets: SweepTargets;
  iface: string | null;
  rate: number;
  signal: AbortSignal;
  onProgress: (p: Partial<Progress>) => void;
  /** Said once when discovery runs without raw sockets. */
  onDegraded?: (notice: string) => void;
  /** The LAN's default gateways and known DHCP servers (IPv4): evidence that a host is the router. */
  infrastructure?: { gateways: ReadonlySet<string>; dhcp_servers: ReadonlySet<string> };
  /** IPv6 addresses already known (newest first): the sweep solicits each once. */
  known6?: readonly string[];
};

export type PipelineOutput = {
  observations: Observation[];
  hostsTotal: number;
  portsScanned: number;
  /** False when cancelled part-way: what was found is kept, but absence means nothing. */
  complete: boolean;
  degraded: boolean;
  /** IPv6 addresses hosts answered for during discovery, each with the MAC that sent the answer. */
  ip6?: Ip6Answer[];
};

/** Hosts whose names are looked up at once; each lookup is a few short-timeout datagrams. */
const NAME_CONCURRENCY = 32;

export async function runPipeline(input: PipelineInput): Promise<PipelineOutput> {
  const { profile, signal, onProgress } = input;
  onProgress({ phase: "discovery" });
  // Ports are scanned from a host's first answer on, while discovery still waits for late answers
  // (sleeping hosts): the port scan no longer waits for the sweep's linger.
  let portsPhase = false;
  const portScan = profile.port_scan
    ? startPortScan(profile.ports, { signal, on_progress: (p) => portsPhase && onProgress({ ports_scanned: p.ports_scanned }) })
    : null;
  let found: Awaited<ReturnType<typeof discover>>;
  try {
    found = await discover({
      targets: input.targets,
      iface: input.iface ?? undefined,
      rate: input.rate,
      signal,
      onDegraded: input.onDegraded,
      known6: input.known6,
      onProgress: (p) => onProgress({ hosts_total: p.total, hosts_found: p.answered }),
      onAnswer: portScan ? (h) => portScan.add(h.ip) : undefined,
      // A scan also finds routed hosts that ignore echo; a bare `argus sweep` stays echo-only.
      tcpPorts: TCP_DISCOVERY_PORTS,
    });
  } catch (e) {
    portScan?.finish();
    throw e;
  }
  const hosts = found.results;
  onProgress({ hosts_total: found.targets, hosts_found: hosts.length });
  if (signal.aborted) {
    await portScan?.finish();
    return { observations: hosts.map((h) => observe(h, null, null, input.infrastructure)), hostsTotal: found.targets, portsScanned: 0, complete: false, degraded: found.degraded, ip6: found.ip6 };
  }

  let processed = 0;
  const names = mapLimited(hosts, NAME_CONCURRENCY, (h) => resolveHostname(h.ip, { signal }));
  let services: Map<string, ObservedPort[]> | null = null;
  let portsScanned = 0;
  let complete = true;
  if (portScan) {
    onProgress({ phase: "ports" });
    portsPhase = true;
    // Hosts known only after the sweep (the degraded fallback, neighbour-table entries) start now.
    for (const h of hosts) portScan.add(h.ip);
    const scanned = await portScan.finish();
    portsScanned = scanned.ports_scanned;
    complete = scanned.complete;
    onProgress({ phase: "services", ports_scanned: portsScanned });
    services = new Map();
    for (const h of scanned.hosts) {
      // A host whose ports were not all probed (cancelled part-way) reports no port list at all: a
      // partial list would read as "closed" for every port not reached. Nor does a host that answered
      // no probe at all (asleep, rate-limiting, a firewall just raised): silence is not "all closed".
      if (h.unscanned_count > 0) continue;
      if (h.open.length === 0 && h.closed_count === 0) continue;
      const open = h.open.map((p) => p.port);
      const detected = profile.service_detection && !signal.aborted ? await detectServices(h.host, open, { deep: profile.deep, signal }) : [];
      services.set(h.host, open.map((port) => toObservedPort(port, detected.find((d) => d.port === port))));
      onProgress({ hosts_processed: ++processed });
    }
  }
  const resolved = await names;
  const observations = hosts.map((h, i) => observe(h, services?.get(h.ip) ?? null, resolved[i], input.infrastructure));
  return { observations, hostsTotal: found.targets, portsScanned, complete: complete && !signal.aborted, degraded: found.degraded, ip6: found.ip6 };
}

function toObservedPort(port: number, s: ServiceInfo | undefined): ObservedPort {
  return {
    port,
    protocol: "tcp",
    service: s?.service ?? null,
    identified: s?.method === "probe" || s?.method === "banner",
    product: s?.product ?? null,
    version: s?.version ?? null,
    tls: s?.tls ?? false,
    banner: s?.banner ?? null,
    // The OS a banner suggests travels with the port, for the device's OS guess now and later.
    extra: s?.os_hint ? { ...s.extra, os_hint: s.os_hint } : (s?.extra ?? {}),
  };
}

function observe(
  h: SweepResult,
  ports: ObservedPort[] | null,
  name: { hostname: string | null; source: string | null } | null,
  infrastructure: PipelineInput["infrastructure"],
): Observation {
  const mac = h.mac ? h.mac.toLowerCase() : null;
  const vendor = mac ? lookupVendor(mac) : null;
  const mac_randomized = mac ? isRandomizedMac(mac) : false;
  const hostname = name?.hostname ?? null;
  const withHints = (ports ?? []).map((p) => ({ port: p.port, service: p.service, extra: p.extra, os_hint: p.extra.os_hint ?? null }));
  const evidence = {
    vendor,
    hostname,
    mac_randomized,
    ports: withHints,
    gateway: infrastructure?.gateways.has(h.ip) ?? false,
    dhcp_server: infrastructure?.dhcp_servers.has(h.ip) ?? false,
  };
  const guess = guessDeviceType(evidence);
  const type = guess.device_type;
  return {
    ip: h.ip,
    mac,
    method: h.method,
    rtt_ms: h.rtt_ms,
    mac_randomized,
    vendor,
    hostname,
    hostname_source: name?.source ?? null,
    device_type: type === "unknown" ? null : type,
    device_type_evidence: guess.evidence,
    os_name: guessOs(withHints),
    ports,
  };
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
