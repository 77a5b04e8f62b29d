// Scan profiles: what a scan of one host does, and the port-spec parser/validator behind them.
//
//   parsePortSpec(spec: string): number[]                         sorted, de-duplicated; throws ProfileError
//   validatePortSpec(spec: unknown, field?: string): Validation<number[]>
//   validateCustomProfile(input: unknown, field?: string): Validation<CustomProfile>
//   resolveProfile(name: string, opts?: { port_range?: string; custom?: CustomProfile[] }): ScanProfile
//   BUILTIN_PROFILES: readonly ["quick", "normal", "intensive"]
//
// Built-ins (SPEC §3): quick = discovery only; normal = TCP ports of the configured range (default the
// named set "home-1000", src/portscan/home-ports.ts) with service detection; intensive = all 65,535 TCP ports, deeper probes and an OS/device-type guess.
// Custom profiles come from config as { name, ports: "1-1000,8080", service_detection?, deep? }. A spec item
// may name a port set: "home-1000,9999".
// Errors carry the offending field and a reason so the API can answer 422 with both.

import { fieldPath, type FieldProblem } from "../config/config-error.ts";
import { HOME_PORT_SET, PORT_SETS } from "./home-ports.ts";

export type ScanProfile = {
  name: string;
  /** false for discovery-only profiles: no port scan at all. */
  port_scan: boolean;
  /** The TCP ports to scan, ascending, unique (empty when port_scan is false). */
  ports: number[];
  /** The spec the ports came from, e.g. "home-1000" or "1-1000" (for display and the scan record). */
  port_spec: string;
  service_detection: boolean;
  /** Deeper service probes (more probes per port, longer waits) and the OS/device-type guess. */
  deep: boolean;
};

export type CustomProfile = { name: string; ports: string; service_detection?: boolean; deep?: boolean };

/** A value, or the field error that names why not (the configuration's one field-error type). */
export type Validation<T> = { ok: true; value: T } | ({ ok: false } & FieldProblem);

export class ProfileError extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

export const BUILTIN_PROFILES = ["quick", "normal", "intensive"] as const;
export const DEFAULT_PORT_RANGE = HOME_PORT_SET;
const ALL_PORTS = "1-65535";
const MAX_SPEC_LENGTH = 4096;

export function parsePortSpec(spec: string, field = "ports"): number[] {
  if (typeof spec !== "string") throw new ProfileError(field, "must be a string like \"1-1000,8080\"");
  if (spec.length > MAX_SPEC_LENGTH) throw new ProfileError(field, `is longer than ${MAX_SPEC_LENGTH} characters`);
  const items = spec.split(",").map((s) => s.trim());
  if (items.length === 1 && items[0] === "") throw new ProfileError(field, "is empty; give ports like \"1-1000,8080\"");
  const seen = new Uint8Array(65536);
  for (const item of items) {
    if (item === "") throw new ProfileError(field, `has an empty item in "${spec}"`);
    const named = PORT_SETS.get(item);
    if (named) {
      for (const p of named) seen[p] = 1;
      continue;
    }
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(item);
    if (!m) throw new ProfileError(field, `"${item}" is not a port, a range like 1-1000 or a port set (${[...PORT_SETS.keys()].join(", ")})`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (const p of [lo, hi]) if (p < 1 || p > 65535) throw new ProfileError(field, `port ${p} is outside 1-65535`);
    if (hi < lo) throw new ProfileError(field, `range "${item}" ends before it starts`);
    seen.fill(1, lo, hi + 1);
  }
  const ports: number[] = [];
  for (let p = 1; p <= 65535; p++) if (seen[p]) ports.push(p);
  return ports;
}

export function validatePortSpec(spec: unknown, field = "ports"): Validation<number[]> {
  try {
    return { ok: true, value: parsePortSpec(spec as string, field) };
  } catch (e) {
    if (e instanceof ProfileError) return { ok: false, field: e.field, reason: e.reason };
    throw e;
  }
}

export function validateCustomProfile(input: unknown, field = "profile"): Validation<CustomProfile> {
  const fail = (f: string, reason: string): Validation<CustomProfile> => ({ ok: false, field: fieldPath(field, f), reason });
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, field, reason: "must be an object {name, ports, service_detection, deep}" };
  }
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!["name", "ports", "service_detection", "deep"].includes(k)) return fail(k, "is not a profile field");
  }
  if (typeof o.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(o.name)) {
    return fail("name", "must be 1-32 letters, digits, '-' or '_', starting with a letter or digit");
  }
  if ((BUILTIN_PROFILES as readonly string[]).includes(o.name.toLowerCase())) {
    return fail("name", `"${o.name}" is a built-in profile`);
  }
  const ports = validatePortSpec(o.ports, `${field}.ports`);
  if (!ports.ok) return ports;
  for (const k of ["service_detection", "deep"] as const) {
    if (o[k] !== undefined && typeof o[k] !== "boolean") return fail(k, "must be true or false");
  }
  return {
    ok: true,
    value: { name: o.name, ports: o.ports as string, service_detection: (o.service_detection as boolean) ?? true, deep: (o.deep as boolean) ?? false },
  };
}

/** Every profile a configuration offers (the built-ins and its custom ones), resolved once per configuration. */
export function resolveProfiles(opts: { port_range?: string; custom?: CustomProfile[] } = {}): Map<string, ScanProfile> {
  const names = [...BUILTIN_PROFILES, ...(opts.custom ?? []).map((p) => p.name)];
  return new Map(names.map((name) => [name, resolveProfile(name, opts)]));
}

export function resolveProfile(name: string, opts: { port_range?: string; custom?: CustomProfile[] } = {}): ScanProfile {
  switch (name) {
    case "quick":
      return { name, port_scan: false, ports: [], port_spec: "", service_detection: false, deep: false };
    case "normal": {
      const spec = opts.port_range ?? DEFAULT_PORT_RANGE;
      return { name, port_scan: true, ports: parsePortSpec(spec, "port_range"), port_spec: spec, service_detection: true, deep: false };
    }
    case "intensive":
      return { name, port_scan: true, ports: parsePortSpec(ALL_PORTS), port_spec: ALL_PORTS, service_detection: true, deep: true };
  }
  const custom = opts.custom?.find((p) => p.name === name);
  if (!custom) {
    const known = [...BUILTIN_PROFILES, ...(opts.custom ?? []).map((p) => p.name)].join(", ");
    throw new ProfileError("profile", `unknown profile "${name}" (known: ${known})`);
  }
  const checked = validateCustomProfile(custom, `profiles.${name}`);
  if (!checked.ok) throw new ProfileError(checked.field, checked.reason);
  const p = checked.value;
  return { name, port_scan: true, ports: parsePortSpec(p.ports), port_spec: p.ports, service_detection: p.service_detection ?? true, deep: p.deep ?? false };
}
