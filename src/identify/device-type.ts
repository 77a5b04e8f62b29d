// Device-type guess from what a scan learnt: vendor, hostname, open ports, service names/titles/Server
// headers, MAC kind, and whether the host is the LAN's default gateway or DHCP server.
//
//   guessDeviceType(input: DeviceEvidence): DeviceTypeGuess
//   guessOs(services: { os_hint?: string | null }[]): string | null
//   DEVICE_TYPES: the possible answers (inventory/enums.ts, … plus "unknown")
//
// The rules are data (device-types.json): each rule is a set of conditions and a weight for one type; the
// guess is the type with the largest summed weight, "unknown" below min_score. Evidence is weak on its own
// (Samsung makes phones and TVs, port 80 is on everything), so the table prefers several small weights to a
// single decisive one; `reasons` lists what counted, for tuning the table, and `evidence` says in the
// owner's words what decided the winner ("RTSP port 554 open"), for the device page.
import { DEVICE_TYPES as ALL_TYPES, type DeviceType } from "../inventory/enums.ts";
import rulesData from "./device-types.json" with { type: "json" };

export type { DeviceType };

export type DeviceEvidence = {
  vendor?: string | null;
  hostname?: string | null;
  /** Open TCP ports: numbers, or service-detection results (service name, extra.title, os_hint are used). */
  ports?: (number | { port: number; service?: string | null; extra?: Record<string, string>; os_hint?: string | null })[];
  mac_randomized?: boolean;
  os_hint?: string | null;
  /** The host is a default gateway of the LAN (routing table, known_infrastructure.gateways). */
  gateway?: boolean;
  /** The host is a known DHCP server of the LAN (known_infrastructure.dhcp_servers). */
  dhcp_server?: boolean;
};

export type DeviceTypeGuess = {
  device_type: DeviceType;
  /** Winning score / (winning + runner-up), 0 when unknown: how clear the call was. */
  confidence: number;
  scores: Partial<Record<DeviceType, number>>;
  reasons: string[];
  /** What decided the winner in the owner's words, strongest first ("RTSP port 554 open"); null when unknown. */
  evidence: string | null;
};

type Rule = {
  type: DeviceType;
  weight: number;
  vendor?: string;
  hostname?: string;
  title?: string;
  os?: string;
  ports_any?: number[];
  ports_all?: number[];
  services_any?: string[];
  randomized_mac?: boolean;
  min_open_ports?: number;
  max_open_ports?: number;
  /** HTTP Server header (service detection's extra.server): case-insensitive regular expression. */
  server?: string;
  gateway?: boolean;
  dhcp_server?: boolean;
  /** The evidence in the owner's words; "{ports}" stands for the matching ports. Else the conditions as met. */
  why?: string;
};

const table = rulesData as unknown as { types: DeviceType[]; min_score: number; rules: Rule[] };
const RULES = table.rules.map((r) => ({
  ...r,
  re: {
    vendor: r.vendor ? new RegExp(r.vendor, "i") : null,
    hostname: r.hostname ? new RegExp(r.hostname, "i") : null,
    title: r.title ? new RegExp(r.title, "i") : null,
    os: r.os ? new RegExp(r.os, "i") : null,
    server: r.server ? new RegExp(r.server, "i") : null,
  },
}));
export const DEVICE_TYPES: readonly DeviceType[] = [...table.types, "unknown"];
// The table may only answer types the rest of Argus knows (the override, the icons, the UI).
for (const t of DEVICE_TYPES) if (!ALL_TYPES.includes(t)) throw new Error(`device-types.json: unknown type ${t}`);

export function guessOs(services: { os_hint?: string | null }[]): string | null {
  // The most frequent hint; a specific one ("Linux (Ubuntu)") beats the generic "Linux" it implies.
  const counts = new Map<string, number>();
  for (const s of services) if (s.os_hint) counts.set(s.os_hint, (counts.get(s.os_hint) ?? 0) + 1);
  if (counts.size === 0) return null;
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || b[0].length - a[0].length);
  const best = ranked[0][0];
  if (best === "Linux") return ranked.find(([os]) => os.startsWith("Linux ("))?.[0] ?? best;
  return best;
}

export function guessDeviceType(input: DeviceEvidence): DeviceTypeGuess {
  const entries = (input.ports ?? []).map((p) => (typeof p === "number" ? { port: p } : p));
  const open = new Set(entries.map((p) => p.port));
  const services = new Set(entries.map((p) => ("service" in p ? p.service : null)).filter((s): s is string => !!s));
  const titles = entries.map((p) => ("extra" in p ? p.extra?.title : undefined)).filter((t): t is string => !!t);
  const servers = entries.map((p) => ("extra" in p ? p.extra?.server : undefined)).filter((t): t is string => !!t);
  const os = input.os_hint ?? guessOs(entries as { os_hint?: string | null }[]);
  const vendor = input.vendor ?? "";
  const hostname = input.hostname ?? "";

  const scores: Partial<Record<DeviceType, number>> = {};
  const reasons: string[] = [];
  const said: { type: DeviceType; weight: number; text: string }[] = [];
  for (const r of RULES) {
    const why: string[] = [];
    let hitPorts: number[] = [];
    if (r.re.vendor) {
      if (!r.re.vendor.test(vendor)) continue;
      why.push(`vendor ${vendor}`);
    }
    if (r.re.hostname) {
      if (!r.re.hostname.test(hostname)) continue;
      why.push(`hostname ${hostname}`);
    }
    if (r.re.title) {
      const t = titles.find((x) => r.re.title!.test(x));
      if (!t) continue;
      why.push(`web title "${t}"`);
    }
    if (r.re.server) {
      const v = servers.find((x) => r.re.server!.test(x));
      if (!v) continue;
      why.push(`web server "${v}"`);
    }
    if (r.gateway !== undefined) {
      if ((input.gateway ?? false) !== r.gateway) continue;
      why.push("the default gateway");
    }
    if (r.dhcp_server !== undefined) {
      if ((input.dhcp_server ?? false) !== r.dhcp_server) continue;
      why.push("the DHCP server");
    }
    if (r.re.os) {
      if (!os || !r.re.os.test(os)) continue;
      why.push(`OS ${os}`);
    }
    if (r.ports_any) {
      const hit = r.ports_any.filter((p) => open.has(p));
      if (hit.length === 0) continue;
      hitPorts = hit;
      why.push(`port ${hit.join("/")}`);
    }
    if (r.ports_all) {
      if (!r.ports_all.every((p) => open.has(p))) continue;
      why.push(`ports ${r.ports_all.join("+")}`);
    }
    if (r.services_any) {
      const hit = r.services_any.filter((s) => services.has(s));
      if (hit.length === 0) continue;
      why.push(`service ${hit.join("/")}`);
    }
    if (r.randomized_mac !== undefined) {
      if ((input.mac_randomized ?? false) !== r.randomized_mac) continue;
      why.push(r.randomized_mac ? "randomised MAC" : "fixed MAC");
    }
    if (r.min_open_ports !== undefined) {
      if (open.size < r.min_open_ports) continue;
      why.push(`${open.size} open ports`);
    }
    if (r.max_open_ports !== undefined) {
      if (open.size > r.max_open_ports) continue;
      if (why.length === 0 || r.max_open_ports === 0) why.push(`${open.size} open ports`);
    }
    scores[r.type] = (scores[r.type] ?? 0) + r.weight;
    reasons.push(`${r.type} +${r.weight}: ${why.join(", ")}`);
    said.push({ type: r.type, weight: r.weight, text: r.why ? r.why.replace("{ports}", hitPorts.join("/")) : why.join(", ") });
  }

  const ranked = table.types.map((t) => [t, scores[t] ?? 0] as const).sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (best[1] < table.min_score) return { device_type: "unknown", confidence: 0, scores, reasons, evidence: null };
  const confidence = Math.round((best[1] / (best[1] + second[1])) * 100) / 100;
  // The two weightiest pieces of evidence for the winner (a stable sort keeps the table's order on ties).
  const evidence = said
    .filter((x) => x.type === best[0])
    .sort((a, b) => b.weight - a.weight)
    .slice(0, 2)
    .map((x) => x.text)
    .join("; ");
  return { device_type: best[0], confidence, scores, reasons, evidence };
}
