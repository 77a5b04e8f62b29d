// Every API error leaves as JSON `{"detail": "..."}` with the status that names the problem
// (SPEC §1). Domain code throws HttpError; framework errors are translated in `errorHandling`.
import { Elysia, ValidationError } from "elysia";
import { log } from "../log.ts";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/** Thrown by the guard for a UI page the caller may not see yet: the browser goes to login or setup. */
export class Redirect extends Error {
  constructor(readonly location: string) {
    super(`redirect to ${location}`);
  }
}

export const NOT_AUTHENTICATED = "Not authenticated";

/** 429 for a login (or a password confirmation) refused by a limit, with when to try again. */
export const tooManyFailedLogins = (wait: number) =>
  new HttpError(429, `Too many failed logins; try again in ${wait} ${wait === 1 ? "second" : "seconds"}`, { "retry-after": String(wait) });
export const notAuthenticated = () => new HttpError(401, NOT_AUTHENTICATED);

// Elysia reports a coerced (numeric) query value's failure as type "property".
const FIELD_PLACES: Record<string, string> = { query: "query parameter", property: "query parameter", body: "body field", params: "path parameter", headers: "header", cookie: "cookie" };

/** One clear sentence naming the field and the reason, from Elysia's validation error. */
export function describeValidation(error: ValidationError): string {
  // Schemas carry `error: "field: reason"` where the validator alone cannot name the field.
  const custom = (error as { customError?: unknown }).customError;
  if (typeof custom === "string") {
    const [field, reason] = custom.split(/:\s(.*)/s);
    return reason ? `Invalid ${FIELD_PLACES[error.type] ?? error.type} '${field}': ${reason}` : custom;
  }
  // `all` can be missing on an error a custom validator raised; then the field is unnamed, not a crash.
  const first = (error.all as unknown[] | undefined)?.[0] as { path?: string; summary?: string; message?: string; schema?: { anyOf?: { const?: unknown }[] } } | undefined;
  const place = FIELD_PLACES[error.type] ?? error.type;
  // The validator's path is a JSON pointer: segments joined by `/`, each with `~` and `/` escaped.
  const field = (first?.path ?? "").replace(/^\//, "").split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~")).join(".");
  // A closed list (a union of literals) says its values instead of "expected union value".
  const values = first?.schema?.anyOf?.every((v) => v.const !== undefined) ? first.schema.anyOf.map((v) => JSON.stringify(v.const)) : null;
  const reason = values ? `must be one of ${values.join(", ")}` : (first?.message ?? "is invalid");
  if (reason === "Unexpected property") return `Unknown ${place} '${field}'`;
  if (field === "") {
    return error.type === "body" ? `Invalid request body: ${lower(reason)}` : `Invalid ${place}: ${lower(reason)}`;
  }
  return `Invalid ${place} '${field}': ${lower(reason)}`;
}

const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** Methods the app serves at `path` (for 405 + Allow), from the registered route patterns. */
export function allowedMethods(routes: { method: string; path: string }[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || r.method === "WS") continue;
    const pattern = new RegExp("^" + r.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\/:[^/]+/g, "/[^/]+").replace(/\*$/, ".*") + "/?$");
    if (pattern.test(path)) methods.add(r.method);
  }
  return [...methods].sort();
}

/**
 * `notFoundPage` may answer an unknown path with something else than the JSON 404 (the UI's HTML
 * page for a browser); it returns null to leave the JSON answer.
 */
export function errorHandling(routes: () => { method: string; path: string }[], notFoundPage?: (request: Request) => Response | null) {
  return new Elysia({ name: "argus.errors" })
    .error({ HttpError, Redirect })
    .onError({ as: "global" }, ({ code, error, set, request, path }) => {
      const reply = (status: number, detail: string, headers: Record<string, string> = {}) => {
        set.status = status;
        Object.assign(set.headers, headers);
        return { detail };
      };
      switch (code) {
        case "HttpError":
          return reply(error.status, error.detail, error.headers);
        case "Redirect":
          return new Response(null, { status: 303, headers: { location: error.location, "cache-control": "no-store" } });
        case "VALIDATION":
          return reply(422, describeValidation(error));
        case "PARSE": {
          // Elysia wraps whatever a body parser throws; our parser throws HttpError with the real status.
          const cause = (error as { cause?: unknown }).cause;
          if (cause instanceof HttpError) return reply(cause.status, cause.detail, cause.headers);
          return reply(400, "Malformed request body: expected valid JSON");
        }
        case "NOT_FOUND": {
          const allow = allowedMethods(routes(), path);
          if (allow.length > 0) return reply(405, `Method ${request.method} is not allowed here; use ${allow.join(", ")}`, { allow: allow.join(", ") });
          const page = notFoundPage?.(request);
          if (page) return page;
          return reply(404, "Not found");
        }
        default: {
          const status = (error as { status?: number }).status;
          if (status === 413) return reply(413, "Request body too large");
          // A bug, not bad input: log it for the operator, tell the client nothing internal.
          log.error("unhandled error", { path, error: error instanceof Error ? error.stack ?? error.message : String(error) });
          return reply(500, "Internal server error");
        }
      }
    });
}
