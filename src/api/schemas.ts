// Request shapes shared by several API areas. Validation lives in these schemas, not in handlers.
import { t } from "elysia";
import type { TUnsafe } from "@sinclair/typebox";
import { TransformDecodeError } from "@sinclair/typebox/value";
import { HttpError } from "./errors.ts";
import { INTEGER_HINT } from "./openapi.ts";

// Elysia tells a failed decode (the range check of wholeNumber below) from other errors by its
// class's name (`error.constructor.name === 'TransformDecodeError'` in its composed handlers). The
// binary's minifier renames classes (its keepNames does not keep this one), and the compiled
// appliance then dropped the error and handed the raw text to the handler: `?limit=0` answered 200
// and an out-of-range `days` a 500. The class gets its own name back, whatever the bundler calls it.
Object.defineProperty(TransformDecodeError, "name", { value: "TransformDecodeError" });

/**
 * A whole number in a query string or path, written plainly ("1.0", "1e3", "0x10" and " 5" are not
 * numbers here, though JavaScript would read them as such: `DELETE /api/keys/1.0` must not revoke key 1).
 */
export function wholeNumber(field: string, place: "query" | "path", min: number, max: number, description?: string) {
  const reason = `must be a whole number from ${min} to ${max}`;
  return t
    .Transform(t.String({ pattern: "^(0|[1-9][0-9]{0,15})$", description, error: `${field}: ${reason}`, [INTEGER_HINT]: { minimum: min, maximum: max } }))
    .Decode((text) => {
      const n = Number(text);
      if (n < min || n > max) throw new HttpError(422, `Invalid ${place} parameter '${field}': ${reason}`);
      return n;
    })
    .Encode((n) => String(n));
}

/** `limit` (1–1000, default 50) and `offset` (≥ 0) as SPEC §1 defines them for every list. */
export const paging = {
  limit: t.Optional(wholeNumber("limit", "query", 1, 1000, "Page size (1–1000, default 50)")),
  offset: t.Optional(wholeNumber("offset", "query", 0, Number.MAX_SAFE_INTEGER, "Rows to skip (default 0)")),
};

/** A query schema that rejects unknown keys (SPEC §1: unknown query values are a 422). */
export function strictQuery<P extends Record<string, any>>(props: P) {
  return t.Object(props, { additionalProperties: false });
}

export const noQuery = strictQuery({});

export const idParams = t.Object({ id: wholeNumber("id", "path", 1, Number.MAX_SAFE_INTEGER, "Numeric id") });

/** Sets X-Total-Count and returns the page: lists answer a plain array (SPEC §1). */
export function page<T>(set: { headers: Record<string, unknown> }, items: T[], total: number): T[] {
  set.headers["x-total-count"] = String(total);
  return items;
}

/**
 * One of a fixed set of strings. Built from literals because Elysia 1.4 fills an absent optional
 * `t.UnionEnum` with its first member, which would silently turn "no filter" into a filter.
 */
export function oneOf<const T extends readonly string[]>(values: T, error: string) {
  return t.Union(values.map((v) => t.Literal(v)), { error }) as unknown as TUnsafe<T[number]>;
}
