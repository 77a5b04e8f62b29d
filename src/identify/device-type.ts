// Device-type guess from what a scan learnt: vendor, hostname, open ports, service names/titles, MAC kind.
//
//   guessDeviceType(input: DeviceEvidence): DeviceTypeGuess
//   guessOs(services: { os_hint?: string | null }[]): string | null
//   DEVICE_TYPES: the possible answers (… plus "unknown")
//
// The rules are data (device-types.json): each rule is a set of conditions and a weight for one type; the
// guess is the type with the largest summed weight, "unknown" below min_score. Evidence is weak on its own
// (Samsung makes phones and TVs, port 80 is on everything), so the table prefers several small weights to a
// single decisive one; `reasons` lists what counted, for the UI and for tuning the table.
import rulesData from "./device-types.json" with { type: "json" };

export type DeviceType = "router" | "printer" | "nas" | "tv" | "phone" | "iot" | "server" | "computer" | "unknown";

export type DeviceEvidence = {
  vendor?: string | null;
  hostname?: string | null;
  /** Open TCP ports: numbers, or service-detection results (service name, extra.title, os_hint are used). */
  ports?: (number | { port: number; service?: string | null; extra?: Record<string, string>; os_hint?: string | null })[];
  mac_randomized?: boolean;
  os_hint?: string | null;
};

export type DeviceTypeGuess = {
  device_type: DeviceType;
  /** Winning score / (winning + runner-up), 0 when unknown: how clear the call was. */
  confidence: number;
  scores: Partial<Record<DeviceType, number>>;
  reasons: string[];
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
};

const table = rulesData as unknown as { types: DeviceType[]; min_score: number; rules: Rule[] };
const RULES = table.rules.map((r) => ({
  ...r,
  re: {
    vendor: r.vendor ? new RegExp(r.vendor, "i") : null,
    hostname: r.hostname ? new RegExp(r.hostname, "i") : null,
    title: r.title ? new RegExp(r.title, "i") : null,
    os: r.os ? new RegExp(r.os, "i") : null,
  },
}));
export const DEVICE_TYPES: readonly DeviceType[] = [...table.types, "unknown"];

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
  const os = input.os_hint ?? guessOs(entries as { os_hint?: string | null }[]);
  const vendor = input.vendor ?? "";
  const hostname = input.hostname ?? "";

  const scores: Partial<Record<DeviceType, number>> = {};
  const reasons: string[] = [];
  for (const r of RULES) {
    const why: string[] = [];
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
    if (r.re.os) {
      if (!os || !r.re.os.test(os)) continue;
      why.push(`OS ${os}`);
    }
    if (r.ports_any) {
      const hit = r.ports_any.filter((p) => open.has(p));
      if (hit.length === 0) continue;
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
  }

  const ranked = table.types.map((t) => [t, scores[t] ?? 0] as const).sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (best[1] < table.min_score) return { device_type: "unknown", confidence: 0, scores, reasons };
  const confidence = Math.round((best[1] / (best[1] + second[1])) * 100) / 100;
  return { device_type: best[0], confidence, scores, reasons };
}
