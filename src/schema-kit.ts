// The building blocks of every area's TypeBox schemas (src/<area>/schema.ts): named schemas, string
// enumerations, nullable fields, counts, ids and timestamps. Each area owns its shapes; src/api
// composes them into routes and the OpenAPI document, where a named schema is listed in
// `components.schemas` under its `$id` and referenced with `ref()`.
//
// Plain TypeBox on purpose: Elysia's `t.Integer` also accepts numeric strings and `t.Nullable`
// adds the OpenAPI 3.0 `nullable` keyword; a response contract wants neither.
import { Type, type TLiteral, type TSchema, type TUnion } from "@sinclair/typebox";

/** The options that name a schema in the OpenAPI document's `components.schemas`. */
export const named = (name: string) => ({ $id: `#/components/schemas/${name}` });

/** A reference to a named schema: `$ref` in the document, resolved by Elysia when it validates. */
export function ref<S extends TSchema>(schema: S) {
  return Type.Ref(schema);
}

/** A string enumeration as a union of literals (the document shows it as `enum`). */
export function literals<const V extends readonly string[]>(values: V, options: { $id?: string; description?: string } = {}) {
  return Type.Union(values.map((v) => Type.Literal(v)), options) as unknown as TUnion<TLiteral<V[number]>[]>;
}

export const nullable = <S extends TSchema>(schema: S, description?: string) => Type.Union([schema, Type.Null()], description ? { description } : {});
export const int = (description?: string, extra: { minimum?: number; maximum?: number } = {}) => Type.Integer({ ...extra, ...(description ? { description } : {}) });
export const count = (description?: string) => int(description, { minimum: 0 });
// Bounded like the path ids: past 2^53 a JSON number is no longer the integer it spells (…993 reads as …992).
export const id = (description = "Numeric id") => int(description, { minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const text = (description?: string) => nullable(Type.String(), description);

/** SPEC §1: ISO 8601 UTC with `Z`, e.g. 2024-01-15T10:30:00Z. */
export const Timestamp = (description?: string) =>
  Type.String({ format: "date-time", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$", ...(description ? { description } : {}) });
export const Ipv4 = (description?: string) => Type.String({ description: description ?? "IPv4 address", examples: ["192.168.1.10"] });
export const Cidr = (description?: string) => Type.String({ description: description ?? "IPv4 CIDR", examples: ["192.168.1.0/24"] });

/**
 * One-line names shown everywhere (lists, logs, exports, notifications): no control characters, and
 * no bidi overrides or isolates (they would reorder the text around them).
 */
export const ONE_LINE = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$";
