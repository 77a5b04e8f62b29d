// The appliance configuration's one schema (SPEC §5 "Config"), composed of per-section schemas. It
// validates the file at start, the body of PUT /api/config, and is the OpenAPI entry of both config
// routes. A new section (notifications, …) adds its properties to CONFIG_SECTIONS and, when the schema
// cannot say everything, a resolver to SECTION_RESOLVERS (it checks and returns the parsed form).
import { OptionalKind, Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ConfigError, fieldPath, type FieldProblem } from "./config-error.ts";
import { mapObjects, redactedSchema, secretMarkersAccepted } from "./secrets.ts";
import { departuresSection, passiveSection, retentionSection } from "./sections/operation.ts";
import { checkInfrastructure, infrastructureSection } from "./sections/infrastructure.ts";
import { compileSchedule, scheduleSection, type CompiledEntry } from "./sections/schedule.ts";
import { resolveScanning, scanningSection, type ResolvedScanning } from "./sections/scanning.ts";
import { checkHosts, hostsSection } from "./sections/hosts.ts";
import { checkSegments, segmentsSection } from "./sections/segments.ts";
import { DEFAULT_NOTIFICATIONS, NotificationsSchema, validateNotifications, type NotificationsConfig } from "../notify/config.ts";
import { SourcesSchema, validateSources, type SourceEntry } from "../sources/config.ts";

export const CONFIG_SECTIONS = {
  ...scanningSection,
  ...scheduleSection,
  ...retentionSection,
  ...passiveSection,
  ...departuresSection,
  ...infrastructureSection,
  ...hostsSection,
  ...segmentsSection,
  notifications: Type.Unsafe<NotificationsConfig>({ ...NotificationsSchema, default: DEFAULT_NOTIFICATIONS }),
  // No schema default: TypeBox would turn an object given here into that default list; absent is none (validateSources).
  sources: Type.Unsafe<SourceEntry[]>({ ...SourcesSchema }),
};

/**
 * Sections whose own validator runs before the schema: their reasons name the member of a union that
 * was meant (`notifications.channels.0.token`), which a generic union error cannot. Each returns the
 * section normalised (defaults filled in).
 */
const SECTION_PARSERS: Partial<Record<keyof typeof CONFIG_SECTIONS, (raw: unknown) => { ok: true; value: unknown } | ({ ok: false } & FieldProblem)>> = {
  notifications: (raw) => validateNotifications(raw),
  sources: (raw) => validateSources(raw),
};

/** The whole configuration, every key present (defaults filled in). */
export const ConfigSchema = Type.Object(CONFIG_SECTIONS, { additionalProperties: false });
export type AppConfig = Static<typeof ConfigSchema>;

/** The parsed forms of a valid configuration, what its users would otherwise parse again and again. */
export type ResolvedParts = ResolvedScanning & {
  /** The schedule's entries with their cron expressions compiled. */
  schedule: CompiledEntry[];
};

/**
 * Cross-field and semantic checks the schema cannot express, in order; each parses what it checks
 * once and returns the parsed form. `reads` names the keys it depends on, so that a configuration
 * changed in a few keys (the environment's overrides) is resolved again only where they matter.
 */
const SECTION_RESOLVERS: { reads: (keyof AppConfig)[]; resolve: (c: AppConfig) => Partial<ResolvedParts> }[] = [
  { reads: ["subnets", "exclude", "allow_public_ranges", "port_range", "profiles"], resolve: resolveScanning },
  { reads: ["schedule", "profiles"], resolve: (c) => ({ schedule: compileSchedule(c) }) },
  { reads: ["known_infrastructure"], resolve: (c) => (checkInfrastructure(c), {}) },
  { reads: ["allowed_hosts"], resolve: (c) => (checkHosts(c), {}) },
  { reads: ["role", "site", "segment", "hub"], resolve: (c) => (checkSegments(c), {}) },
];

/** A configuration checked as a whole, with defaults filled in, and its parsed forms. */
export type Resolved = { config: AppConfig; parts: ResolvedParts };

/** Environment variables that override a key of the file (SPEC §5: env vars override). */
export const ENV_OVERRIDES: Partial<Record<keyof AppConfig, { variable: string; parse: (raw: string) => unknown }>> = {
  subnets: { variable: "ARGUS_SUBNETS", parse: commaList },
  exclude: { variable: "ARGUS_EXCLUDE", parse: commaList },
};

function commaList(raw: string): string[] {
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export const DEFAULT_CONFIG: AppConfig = Value.Default(ConfigSchema, {}) as AppConfig;

/** Validates a raw configuration (a file's content or a merged update); returns it with defaults filled in. */
export function validateConfig(raw: unknown): AppConfig {
  return resolveConfig(raw).config;
}

/** Validates a raw configuration once and returns it with defaults filled in, and its parsed forms. */
export function resolveConfig(raw: unknown): Resolved {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError("(config)", "must be a JSON object");
  const proto = prototypeKey(raw, "");
  if (proto) throw new ConfigError(proto, "is not a known setting");
  const filled = Value.Default(ConfigSchema, structuredClone(raw)) as Record<string, unknown>;
  for (const [key, parse] of Object.entries(SECTION_PARSERS)) {
    const parsed = parse!(filled[key]);
    if (!parsed.ok) throw new ConfigError(parsed.field, parsed.reason);
    filled[key] = parsed.value;
  }
  const problem = firstProblem(ConfigSchema, filled);
  if (problem) throw new ConfigError(problem.field, problem.reason);
  const config = filled as AppConfig;
  return { config, parts: resolveParts(config) };
}

/** The parsed forms of a configuration whose shape is already checked (throws ConfigError where a check fails). */
export function resolveParts(config: AppConfig): ResolvedParts {
  const parts = {} as ResolvedParts;
  for (const r of SECTION_RESOLVERS) Object.assign(parts, r.resolve(config));
  return parts;
}

/**
 * A valid configuration with a few keys replaced by values from elsewhere (the environment's
 * overrides, which are plain lists): only those keys are checked against their schema, and only the
 * parsed forms that depend on them are resolved again. Nothing else is validated twice.
 */
export function overlayConfig(base: Resolved, values: Partial<Record<keyof AppConfig, unknown>>): Resolved {
  const keys = Object.keys(values) as (keyof AppConfig)[];
  if (keys.length === 0) return base;
  for (const key of keys) {
    const problem = firstProblem(Type.Object({ [key]: CONFIG_SECTIONS[key] }), { [key]: values[key] });
    if (problem) throw new ConfigError(problem.field, problem.reason);
  }
  const config = { ...base.config, ...structuredClone(values) } as AppConfig;
  const parts = { ...base.parts };
  for (const r of SECTION_RESOLVERS) if (r.reads.some((k) => keys.includes(k))) Object.assign(parts, r.resolve(config));
  return { config, parts };
}

/**
 * Where the value holds an own `__proto__` key (JSON.parse makes one). The schema checks look names up
 * with `in`, which finds Object.prototype's `__proto__`, so such a key would pass as known and then be
 * dropped silently by a spread or an assignment: it is refused by name instead.
 */
export function prototypeKey(value: unknown, path = ""): string | null {
  if (typeof value !== "object" || value === null) return null;
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (k === "__proto__") return at;
    const inner = prototypeKey(v, at);
    if (inner) return inner;
  }
  return null;
}

/** The first schema violation as a field path and a readable reason (the schema's `errorMessage`). */
export function firstProblem(schema: TSchema, value: unknown): FieldProblem | null {
  const e = Value.Errors(schema, value).First();
  if (!e) return null;
  const field = fieldPath(...e.path.split("/").slice(1)) || "(config)";
  if (e.message === "Unexpected property") return { field, reason: "is not a known setting" };
  const custom = (e.schema as { errorMessage?: string }).errorMessage;
  return { field, reason: custom ?? e.message.charAt(0).toLowerCase() + e.message.slice(1) };
}

/**
 * PUT /api/config's body: any subset of the top-level keys (each replaces its whole value), secrets
 * optional with `<key>_set` markers, and `env_overrides` as GET shows it (ignored). No top-level
 * defaults: an absent key must stay absent, not be reset. Checked by `firstProblem` in the route, not
 * handed to Elysia's validator, which rewrites schemas in place (number coercion, defaults).
 */
export const ConfigPatchSchema: TSchema = Type.Object(
  {
    ...Object.fromEntries(
      Object.entries(CONFIG_SECTIONS).map(([k, s]) => [
        k,
        // A section with its own parser is checked by it (with the stored secrets merged in first).
        k in SECTION_PARSERS ? Type.Optional(Type.Unknown({ description: `As GET /api/config shows ${k}; checked as a whole` })) : Type.Optional(withoutDefault(defaultsOptional(secretMarkersAccepted(s)))),
      ]),
    ),
    env_overrides: Type.Optional(Type.Unknown({ description: "Ignored (read-only, as GET shows it)" })),
  },
  { additionalProperties: false },
);

/** GET /api/config's answer: the configuration in force with secrets redacted, and which keys the environment sets. */
export const ConfigViewSchema = Type.Object({
  ...(redactedSchema(Type.Object(CONFIG_SECTIONS)) as any).properties,
  // The section is an opaque Unsafe above (its own parser checks it); its view is its schema redacted, so
  // no secret field is part of the answer (the runtime response check refuses one).
  notifications: redactedSchema(NotificationsSchema),
  sources: redactedSchema(SourcesSchema),
  env_overrides: Type.Record(Type.String(), Type.String(), {
    description: 'Keys set by an environment variable, which wins over the file: {"subnets": "ARGUS_SUBNETS"}',
  }),
});

/** Nested fields with a default may be left out of a request (`enabled` of a schedule entry). */
function defaultsOptional(schema: TSchema): TSchema {
  return mapObjects(schema, (props) =>
    Object.fromEntries(Object.entries(props).map(([k, v]) => [k, (v as any).default !== undefined && !(OptionalKind in v) ? Type.Optional(v) : v])),
  );
}

function withoutDefault(schema: TSchema): TSchema {
  const { default: _unused, ...rest } = schema as any;
  return Object.assign(Object.create(Object.getPrototypeOf(schema)), rest, {
    ...Object.fromEntries(Object.getOwnPropertySymbols(schema).map((s) => [s, (schema as any)[s]])),
  });
}
