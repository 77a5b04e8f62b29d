// Risk of one device from its open ports: risky-service table + bundled CVE table → threats, level, score.
//
//   assessDevice(input: DeviceRiskInput): RiskAssessment
//   assessPort(port: PortInfo): Threat | null             the finding for one port (null: nothing to report)
//   matchCves(product: string | null, version: string | null): CveMatch[]
//   LEVELS: readonly ["none", "low", "medium", "high", "critical"]
//
// Score (0–100), from the worst finding and the number of findings:
//   each level owns a band — none 0, low 10–39, medium 40–64, high 65–84, critical 85–100;
//   score = band floor + Σ over the other findings of a per-level weight (critical 5, high 4, medium 2,
//   low 1), capped at the band's ceiling.
// A finding is a risky service on a port or a CVE matching a port's product/version (a port with a risky
// service and two CVEs is three findings, shown as one threat). So the level is always the worst finding's
// level, and more findings raise the score within that band but never into the next level: one critical
// outweighs any number of mediums, and two devices of the same level are ordered by how much is wrong.
//
// Trusted devices (is_trusted) keep their threats, level and score (the owner still sees them) but
// counts_as_at_risk is false. Otherwise a device counts as at risk from level medium upwards; "low" findings
// (SSH, SMTP, raw printing) are advice, not exposure.
import riskyData from "./risky-ports.json" with { type: "json" };
import cveData from "./cves.json" with { type: "json" };
import { inRange, type VersionRange } from "./version.ts";
import type { FindingLevel, RiskLevel } from "./levels.ts";

export { LEVELS, type RiskLevel } from "./levels.ts";

export type PortInfo = {
  port: number;
  protocol?: "tcp" | "udp";
  service?: string | null;
  product?: string | null;
  version?: string | null;
  tls?: boolean;
  /** Service-detection extras; auth_required "true"/"false" adjusts Redis and MQTT findings. */
  extra?: Record<string, string>;
};

export type DeviceRiskInput = { ports: PortInfo[]; is_trusted?: boolean };

export type Threat = {
  port: number;
  protocol: "tcp" | "udp";
  level: FindingLevel;
  /** Risky-service id from risky-ports.json ("telnet", "redis", ...), null when only CVEs matched. */
  service_id: string | null;
  description: string;
  recommendation: string;
  cve_ids: string[];
};

export type RiskAssessment = {
  risk_level: RiskLevel;
  risk_score: number;
  threat_summary: string;
  threats: Threat[];
  /** Findings by level (a port's service and each of its CVEs counted separately). */
  counts: Record<FindingLevel, number>;
  counts_as_at_risk: boolean;
};

export type CveMatch = { id: string; level: FindingLevel; cvss: number; title: string; recommendation: string };

type RiskyEntry = {
  id: string;
  name: string;
  level: FindingLevel;
  services?: string[];
  ports?: number[];
  udp_ports?: number[];
  description: string;
  recommendation: string;
  when_unauthenticated?: { level: FindingLevel; note: string };
  when_authenticated?: { level: FindingLevel; note: string };
};
type CveEntry = { id: string; products: string[]; versions: VersionRange[]; cvss: number; level: FindingLevel; title: string; recommendation: string };

const ENTRIES = (riskyData as { entries: RiskyEntry[] }).entries;
const CVES = (cveData as { cves: CveEntry[] }).cves;
const BY_SERVICE = new Map<string, RiskyEntry>();
const BY_TCP_PORT = new Map<number, RiskyEntry>();
const BY_UDP_PORT = new Map<number, RiskyEntry>();
for (const e of ENTRIES) {
  for (const s of e.services ?? []) BY_SERVICE.set(s.toLowerCase(), e);
  for (const p of e.ports ?? []) if (!BY_TCP_PORT.has(p)) BY_TCP_PORT.set(p, e);
  for (const p of e.udp_ports ?? []) if (!BY_UDP_PORT.has(p)) BY_UDP_PORT.set(p, e);
}

const RANK: Record<RiskLevel, number> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };
const BAND: Record<RiskLevel, [number, number]> = { none: [0, 0], low: [10, 39], medium: [40, 64], high: [65, 84], critical: [85, 100] };
const WEIGHT: Record<FindingLevel, number> = { low: 1, medium: 2, high: 4, critical: 5 };
const worse = (a: RiskLevel, b: RiskLevel): RiskLevel => (RANK[a] >= RANK[b] ? a : b);

export function matchCves(product: string | null | undefined, version: string | null | undefined): CveMatch[] {
  if (!product || !version) return [];
  const p = product.trim().toLowerCase();
  return CVES.filter((c) => c.products.some((x) => x.toLowerCase() === p) && c.versions.some((r) => inRange(version, r)))
    .map(({ id, level, cvss, title, recommendation }) => ({ id, level, cvss, title, recommendation }));
}

function riskyEntry(p: PortInfo): RiskyEntry | null {
  const service = p.service?.toLowerCase();
  // HTTP over TLS is what we recommend, not a finding.
  if (service === "https" || (service === "http" && p.tls)) return null;
  if (service) return BY_SERVICE.get(service) ?? null;
  return (p.protocol === "udp" ? BY_UDP_PORT : BY_TCP_PORT).get(p.port) ?? null;
}

/** The threat for one port with the levels of its separate findings (service first, then each CVE). */
function portFindings(p: PortInfo): { threat: Threat; levels: FindingLevel[] } | null {
  const entry = riskyEntry(p);
  const cves = matchCves(p.product, p.version);
  if (!entry && cves.length === 0) return null;
  const levels: FindingLevel[] = [];
  const description: string[] = [];
  const recommendation: string[] = [];
  if (entry) {
    let level = entry.level;
    let text = entry.description;
    const auth = p.extra?.auth_required;
    const variant = auth === "false" ? entry.when_unauthenticated : auth === "true" ? entry.when_authenticated : undefined;
    if (variant) {
      level = variant.level;
      text = `${text} ${variant.note}`;
    }
    levels.push(level);
    description.push(`${entry.name} on port ${p.port}: ${text}`);
    recommendation.push(entry.recommendation);
  }
  const software = [p.product, p.version].filter(Boolean).join(" ");
  for (const c of cves) {
    levels.push(c.level);
    description.push(`${software}: ${c.id} (CVSS ${c.cvss.toFixed(1)}) ${c.title}.`);
    if (!recommendation.includes(c.recommendation)) recommendation.push(c.recommendation);
  }
  const level = levels.reduce<RiskLevel>(worse, "none") as FindingLevel;
  return {
    threat: {
      port: p.port,
      protocol: p.protocol ?? "tcp",
      level,
      service_id: entry?.id ?? null,
      description: description.join(" "),
      recommendation: recommendation.join(" "),
      cve_ids: cves.map((c) => c.id),
    },
    levels,
  };
}

export function assessPort(port: PortInfo): Threat | null {
  return portFindings(port)?.threat ?? null;
}

export function assessDevice(input: DeviceRiskInput): RiskAssessment {
  const threats: Threat[] = [];
  const all: FindingLevel[] = [];
  for (const p of input.ports) {
    const f = portFindings(p);
    if (!f) continue;
    threats.push(f.threat);
    all.push(...f.levels);
  }
  threats.sort((a, b) => RANK[b.level] - RANK[a.level] || a.port - b.port);
  const counts: Record<FindingLevel, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  for (const l of all) counts[l]++;

  const risk_level = all.reduce<RiskLevel>(worse, "none");
  let risk_score = 0;
  if (risk_level !== "none") {
    const [floor, ceiling] = BAND[risk_level];
    // The worst finding sets the floor; every other finding adds its weight.
    const extra = all.reduce((n, l) => n + WEIGHT[l], 0) - WEIGHT[risk_level as FindingLevel];
    risk_score = Math.min(ceiling, floor + extra);
  }
  return {
    risk_level,
    risk_score,
    threat_summary: summarize(threats, counts, input.is_trusted ?? false),
    threats,
    counts,
    counts_as_at_risk: !input.is_trusted && RANK[risk_level] >= RANK.medium,
  };
}

function summarize(threats: Threat[], counts: Record<FindingLevel, number>, trusted: boolean): string {
  if (threats.length === 0) return "No risky services or known vulnerabilities found.";
  const worst = threats[0];
  const what = worst.service_id
    ? `${ENTRIES.find((e) => e.id === worst.service_id)!.name} on port ${worst.port}`
    : `${worst.cve_ids[0]} on port ${worst.port}`;
  const cves = worst.service_id && worst.cve_ids.length ? ` (${worst.cve_ids.join(", ")})` : "";
  const total = counts.critical + counts.high + counts.medium + counts.low;
  const others = (["critical", "high", "medium", "low"] as const).filter((l) => counts[l] > 0).map((l) => `${counts[l]} ${l}`).join(", ");
  const head = `${worst.level[0].toUpperCase()}${worst.level.slice(1)}: ${what}${cves}`;
  // A port can carry several findings (its service and each CVE): say on how many ports, so the
  // count matches the threats listed beside it.
  const ports = threats.length === 1 ? "one port" : `${threats.length} ports`;
  const tail = total > 1 ? `; ${total} findings on ${ports} (${others})` : "";
  return `${head}${tail}${trusted ? TRUSTED_NOTE : "."}`;
}

const TRUSTED_NOTE = " — trusted device, not counted as at risk.";

/**
 * A stored summary (written without regard to trust, since trust changes without a scan) as the
 * device's current trust would have it.
 */
export function summaryForTrust(summary: string | null, trusted: boolean): string | null {
  if (!summary || !trusted || summary.startsWith("No risky")) return summary;
  return summary.replace(/\.$/, "") + TRUSTED_NOTE;
}
