// The browser's only way to the appliance: the documented JSON API, same origin, session cookie.
// A 401 sends the visitor to /login and back to this page afterwards; other errors become a toast.
import { toast } from "./toast.ts";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// A rejected ApiError has already been shown as a toast: keep it out of the console as well.
addEventListener("unhandledrejection", (e) => {
  if (e.reason instanceof ApiError) e.preventDefault();
});

export function toLogin(): void {
  const here = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(here)}`);
}

type Options = { body?: unknown; raw?: BodyInit; contentType?: string; headers?: Record<string, string>; quiet?: boolean; noLoginRedirect?: boolean };

async function send(method: string, path: string, opts: Options = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers["content-type"] = opts.contentType ?? "application/octet-stream";
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: "same-origin" });
  } catch {
    const err = new ApiError(0, "The appliance cannot be reached. Check the connection and try again.");
    if (!opts.quiet) toast(err.message, "error");
    throw err;
  }
  if (res.ok) return res;
  const detail = await res
    .json()
    .then((d: { detail?: unknown }) => (typeof d?.detail === "string" ? d.detail : null))
    .catch(() => null);
  const err = new ApiError(res.status, detail ?? `Request failed (${res.status})`);
  if (res.status === 401 && !opts.noLoginRedirect && detail === "Not authenticated") {
    toLogin();
    throw err;
  }
  if (!opts.quiet) toast(err.message, "error");
  throw err;
}

export async function api<T = any>(method: string, path: string, opts: Options = {}): Promise<T> {
  const res = await send(method, path, opts);
  if (res.status === 204) return null as T;
  return (await res.json()) as T;
}

export const get = <T = any>(path: string, opts?: Options) => api<T>("GET", path, opts);
export const post = <T = any>(path: string, body?: unknown, opts?: Options) => api<T>("POST", path, { ...opts, body });
export const put = <T = any>(path: string, body?: unknown, opts?: Options) => api<T>("PUT", path, { ...opts, body });
export const del = <T = any>(path: string, opts?: Options) => api<T>("DELETE", path, opts);

/** One page of a list endpoint: the items and the total from X-Total-Count. */
export async function list<T = any>(path: string, opts?: Options): Promise<{ items: T[]; total: number }> {
  const res = await send("GET", path, opts);
  const items = (await res.json()) as T[];
  return { items, total: Number(res.headers.get("x-total-count") ?? items.length) };
}

/** A query string from the set values only. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

let routes: Promise<Set<string>> | null = null;

/**
 * Which API routes this appliance has, as "METHOD /path", from its own OpenAPI document: sections
 * for APIs that arrive with later versions (configuration, schedules, backup, exports,
 * notifications) appear as soon as the server documents them, with no probe that 404s.
 */
export function apiRoutes(): Promise<Set<string>> {
  routes ??= fetch("/openapi.json", { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : { paths: {} }))
    .then((doc: { paths?: Record<string, Record<string, unknown>> }) => {
      const set = new Set<string>();
      for (const [path, ops] of Object.entries(doc.paths ?? {})) for (const m of Object.keys(ops)) set.add(`${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1")}`);
      return set;
    })
    .catch(() => new Set<string>());
  return routes;
}

export async function hasRoute(route: string): Promise<boolean> {
  return (await apiRoutes()).has(route);
}
