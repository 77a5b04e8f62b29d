// The `sources` section of the configuration (SPEC §7): a list of entries
//   {"name", "type", "enabled", "interval_s", …the type's fields}
// one member of a union per registered type (registry.ts), told apart by `type`. Each entry is checked
// against its own member, so a 422 names the field of the type that was meant
// (`sources.1.path`), and names are unique (the API and the runner address a source by it). Secrets
// (`password`, `community`, `key`, `secret`, `auth_*`, `priv_*`) are write-only through
// config/secrets.ts, which knows them by name; a required secret may be left out while `<key>_set`
// says one is stored.
import { OptionalKind, Type, type TObject, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { fieldPath, type FieldProblem } from "../config/config-error.ts";
import { isSecretKey } from "../config/secrets.ts";
import { leaseFileFields, leasePathProblem } from "./lease-file.ts";
import { SOURCE_TYPES, SOURCE_TYPE_NAMES, sourceType } from "./registry.ts";

export const SOURCE_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$";
export const MIN_INTERVAL_S = 10;
export const MAX_INTERVAL_S = 86_400;
export const MAX_SOURCES = 50;

const common = {
  name: Type.String({ pattern: SOURCE_NAME_PATTERN, description: "Unique; GET /api/sources and POST /api/sources/{name}/run name the source by it" }),
  enabled: Type.Optional(Type.Boolean({ description: "Default true; a disabled source is not read" })),
  interval_s: Type.Optional(Type.Integer({ minimum: MIN_INTERVAL_S, maximum: MAX_INTERVAL_S, description: "Seconds between runs (default: the type's, 60 for lease files)" })),
};

/** The member of the union for one type: the common fields, `type`, and the type's own fields. */
function memberSchema(t: { type: string; fields: TObject }): TObject {
  return Type.Object({ ...common, type: Type.Literal(t.type), ...t.fields.properties }, { additionalProperties: false, title: t.type });
}

const MEMBERS = new Map(SOURCE_TYPES.map((t) => [t.type, memberSchema(t)]));

/** The section's schema as stored and as PUT (each entry one of the registered types). */
export const SourcesSchema = Type.Array(Type.Union([...MEMBERS.values()]), { maxItems: MAX_SOURCES, description: "Where names and devices are read from besides the wire (SPEC §7 Sources)" });

/** One entry as validated: the common fields, and the type's fields. */
export type SourceEntry = { name: string; type: string; enabled?: boolean; interval_s?: number; [field: string]: unknown };

type Checked<T> = { ok: true; value: T } | ({ ok: false } & FieldProblem);

/** A member with its secrets optional (a stored one is kept while `<key>_set` says so) and their markers allowed. */
function withSecretMarkers(member: TObject): TObject {
  const props: Record<string, TSchema> = {};
  for (const [k, v] of Object.entries(member.properties)) {
    if (!isSecretKey(k)) {
      props[k] = v;
      continue;
    }
    props[k] = (v as any)[OptionalKind] === "Optional" ? v : Type.Optional(v);
    props[`${k}_set`] = Type.Optional(Type.Boolean());
  }
  return Type.Object(props, { additionalProperties: false });
}
const LENIENT = new Map([...MEMBERS].map(([type, m]) => [type, withSecretMarkers(m)]));

function schemaError(schema: TSchema, value: unknown, at: string): FieldProblem | null {
  const first = Value.Errors(schema, value).First();
  if (!first) return null;
  const field = fieldPath(at, ...first.path.split("/").filter(Boolean));
  if (first.message === "Unexpected property") return { field, reason: `is not a field of this source type` };
  if (first.message === "Expected required property") return { field, reason: "is required" };
  const custom = (first.schema as { errorMessage?: string }).errorMessage;
  if (custom) return { field, reason: custom };
  const pattern = (first.schema as { pattern?: string }).pattern;
  if (typeof pattern === "string" && first.value !== undefined && typeof first.value === "string") return { field, reason: `must match ${pattern}` };
  return { field, reason: first.message.charAt(0).toLowerCase() + first.message.slice(1) };
}

/** Validates the section (absent → none); `field` prefixes every reported field (`sources.0.path`). */
export function validateSources(input: unknown, field = "sources"): Checked<SourceEntry[]> {
  if (input === undefined || input === null) return { ok: true, value: [] };
  const fail = (f: string, reason: string): Checked<SourceEntry[]> => ({ ok: false, field: f, reason });
  if (!Array.isArray(input)) return fail(field, "must be a list of sources [{name, type, …}]");
  if (input.length > MAX_SOURCES) return fail(field, `must hold at most ${MAX_SOURCES} sources`);
  const names = new Set<string>();
  const out: SourceEntry[] = [];
  for (const [i, entry] of input.entries()) {
    const at = fieldPath(field, i);
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return fail(at, "must be an object {name, type, …}");
    const type = (entry as { type?: unknown }).type;
    if (typeof type !== "string" || !sourceType(type)) return fail(`${at}.type`, `must be one of ${SOURCE_TYPE_NAMES.join(", ")}`);
    const err = schemaError(LENIENT.get(type)!, entry, at);
    if (err) return fail(err.field, err.reason);
    const e = structuredClone(entry) as SourceEntry;
    // A secret the type requires: given, or kept from the stored entry (`<key>_set`, carried by config/secrets.ts).
    const member = MEMBERS.get(type)!;
    for (const [k, v] of Object.entries(member.properties)) {
      if (!isSecretKey(k) || (v as any)[OptionalKind] === "Optional") continue;
      if (e[k] === undefined && e[`${k}_set`] !== true) return fail(`${at}.${k}`, "is required");
    }
    if (names.has(e.name)) return fail(`${at}.name`, `duplicates the source name "${e.name}"`);
    names.add(e.name);
    // `*_set` flags are answers, not settings: they are not stored.
    for (const k of Object.keys(e)) if (k.endsWith("_set") && isSecretKey(k.slice(0, -4))) delete e[k];
    out.push(e);
  }
  return { ok: true, value: out };
}

/**
 * The files sources would read, checked against the disk as it is now (lease-file.ts leasePathProblem):
 * not under /proc, /sys, /dev, /run nor one of `protectedPaths` (the appliance's own data), and a regular
 * file when there. The first problem, or null. Not part of validateSources: that one also checks the
 * file at start, where a file moved since must not keep the appliance down (a run reports it instead).
 */
export function checkSourcePaths(entries: SourceEntry[], protectedPaths: readonly string[], field = "sources"): FieldProblem | null {
  for (const [i, e] of entries.entries()) {
    const readsFile = MEMBERS.get(e.type)?.properties.path === leaseFileFields.properties.path;
    if (!readsFile || typeof e.path !== "string") continue;
    const reason = leasePathProblem(e.path, protectedPaths);
    if (reason) return { field: fieldPath(field, i, "path"), reason };
  }
  return null;
}
