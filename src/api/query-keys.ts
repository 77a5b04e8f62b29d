// A query key given twice (?status=online&status=offline) is ambiguous, and Elysia would silently
// keep one of the values; SPEC §1 wants unclear query values rejected, so it is a 422 instead.
// One global transform hook (before validation), so every route answers alike.
import { Elysia } from "elysia";
import { HttpError } from "./errors.ts";

export function rejectRepeatedQueryKeys({ request }: { request: Request }): void {
  const start = request.url.indexOf("?");
  if (start < 0) return;
  const seen = new Set<string>();
  for (const key of new URLSearchParams(request.url.slice(start + 1)).keys()) {
    if (seen.has(key)) throw new HttpError(422, `Invalid query parameter '${key}': given more than once`);
    seen.add(key);
  }
}

export function singleQueryValues() {
  return new Elysia({ name: "argus.single-query-values" }).onTransform({ as: "global" }, rejectRepeatedQueryKeys);
}
