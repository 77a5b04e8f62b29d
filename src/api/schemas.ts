// Request shapes shared by several API areas. Validation lives in these schemas, not in handlers.
import { t } from "elysia";

/** `limit` (1–1000, default 50) and `offset` (≥ 0) as SPEC §1 defines them for every list. */
export const paging = {
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, default: 50, description: "Page size (1–1000)", error: "limit: must be an integer from 1 to 1000" })),
  offset: t.Optional(t.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: "Rows to skip", error: "offset: must be an integer of 0 or more" })),
};

/** A query schema that rejects unknown keys (SPEC §1: unknown query values are a 422). */
export function strictQuery<P extends Record<string, any>>(props: P) {
  return t.Object(props, { additionalProperties: false });
}

export const noQuery = strictQuery({});

export const idParams = t.Object({ id: t.Integer({ minimum: 1, description: "Numeric id", error: "id: must be a positive integer" }) });

export const detailResponse = t.Object({ detail: t.String() });

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
  return t.Union(values.map((v) => t.Literal(v)) as any, { error }) as unknown as ReturnType<typeof t.UnionEnum<T>>;
}
