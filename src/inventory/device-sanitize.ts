// A device record as read from the database, held to its schema (schema.ts Device) before anyone
// serves it. SQLite keeps whatever value a column is given (a BLOB host name written by an old
// version, text where a number belongs, a level no version knows), and one such row made the whole
// listing fail the response contract. A value that does not fit becomes what it spells in the
// column's type (a BLOB's UTF-8 text, a number's digits, a numeric text's number), else null where
// the field may be null, else the schema's own value (0, the first level); each coercion is logged
// once per device and field.
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Value } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import { log } from "../log.ts";
import { RiskLevel } from "../risk/schema.ts";
import { Device, DeviceAddress, DeviceIcon, DeviceMac, DeviceStatus, NotifyOnEvent, PresenceMode, Trust } from "./schema.ts";

/**
 * A copy of a schema without `format` keywords: TypeBox checks a format only when one is registered
 * (the API's framework registers them), and the patterns next to them already hold the shape.
 */
function withoutFormats<S extends TSchema>(schema: S): S {
  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(copy);
    if (value === null || typeof value !== "object") return value;
    const out: Record<PropertyKey, unknown> = {};
    for (const key of Reflect.ownKeys(value)) if (key !== "format") out[key] = copy((value as Record<PropertyKey, unknown>)[key]);
    return out;
  };
  return copy(schema) as S;
}

const references = [DeviceStatus, PresenceMode, Trust, RiskLevel, DeviceIcon, NotifyOnEvent, DeviceMac, DeviceAddress].map(withoutFormats);
const schema = withoutFormats(Device);
const whole = TypeCompiler.Compile(schema, references);
const fields = Object.entries(schema.properties) as [keyof Device & string, TSchema][];
const fits = (s: TSchema, v: unknown) => Value.Check(s, references, v);

const UNKNOWN_TIME = "1970-01-01T00:00:00Z";
const warned = new Set<string>();

/** What `v` spells in a field's type, in order of preference; the first that fits the schema is taken. */
function candidates(v: unknown): unknown[] {
  const out: unknown[] = [];
  if (v instanceof Uint8Array) {
    try {
      out.push(new TextDecoder("utf-8", { fatal: true }).decode(v));
    } catch {
      // not text: null or the schema's value below
    }
  } else if (typeof v === "number" || typeof v === "bigint") out.push(String(v));
  else if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())) out.push(Number(v));
  out.push(null);
  return out;
}

function coerce(s: TSchema, v: unknown): { value: unknown } | null {
  for (const c of candidates(v)) if (fits(s, c)) return { value: c };
  try {
    const cast = Value.Cast(s, references, v);
    if (fits(s, cast)) return { value: cast };
  } catch {
    // a pattern string has no value of its own (TypeBox cannot make one up)
  }
  // The only required pattern-bound fields are timestamps: the epoch says "unknown" in their shape.
  return fits(s, UNKNOWN_TIME) ? { value: UNKNOWN_TIME } : null;
}

function warnOnce(id: unknown, field: string, v: unknown, to: unknown): void {
  const key = `${id}:${field}`;
  if (warned.has(key)) return;
  if (warned.size >= 10_000) warned.clear();
  warned.add(key);
  const kind = v instanceof Uint8Array ? "blob" : v === null ? "null" : typeof v;
  log.warn("a device's stored value does not fit its schema; answered coerced", { device: String(id), field, stored: kind, answered: to === null ? "null" : typeof to });
}

/** The record as the schema allows it: unchanged when it fits (the common case, one compiled check). */
export function sanitizeDevice(d: Device): Device {
  if (whole.Check(d)) return d;
  const out: Record<string, unknown> = { ...d };
  for (const [key, s] of fields) {
    const v = out[key];
    if (fits(s, v)) continue;
    const fixed = coerce(s, v);
    // null when nothing fits (no field of today's schema gets here: each required one takes a value above).
    out[key] = fixed ? fixed.value : null;
    warnOnce(d.id, key, v, out[key]);
  }
  return out as Device;
}
