// Who is calling, and whether they may. Authentication is a property of the route: every route the
// router matched is protected unless it was declared public where it is defined (`access: "public"`),
// and UI pages declare `access: "page"` to be sent to the login page instead of answered 401. The
// guard decides on the route pattern the router actually matched (Elysia's `route`), never on its own
// reading of the URL, so no spelling of a path (Host, absolute form, `//`, percent-encoding, case,
// trailing slash) can reach a handler the router serves while the guard looks elsewhere. Unmatched
// requests never reach a handler (404). It runs before the body is read or validated, so an anonymous
// caller learns nothing from 400s, 413s and 422s.
import { Elysia } from "elysia";
import type { AppContext } from "../app-context.ts";
import type { Actor } from "../audit/audit-log.ts";
import { isCrossSite, isSafeMethod } from "../auth/csrf.ts";
import type { KeyScope } from "../auth/api-keys.ts";
import type { User } from "../auth/users.ts";
import { HttpError, notAuthenticated, Redirect } from "./errors.ts";
import { SESSION_COOKIE, verifySessionToken } from "./session-cookie.ts";

/** How a route is reached: "public" needs no credentials; "page" is a UI page (login redirect); unset: the API's 401. */
export type Access = "public" | "page";

/** The route option `access`, for plugins that declare public routes or pages. */
export const routeAccess = new Elysia({ name: "argus.route-access" }).macro({ access: (_: Access) => ({}) });

type RouteEntry = { method: string; path: string; hooks?: unknown };

/**
 * The access of every registered route, by "METHOD pattern", read from the routes' own declarations.
 * A route missing here (a table not built yet, a method mapped by the framework) is protected.
 */
export function accessTable(routes: readonly RouteEntry[]): Map<string, Access> {
  const table = new Map<string, Access>();
  for (const r of routes) {
    const access = (r.hooks as { access?: unknown } | undefined)?.access;
    if (access === "public" || access === "page") table.set(`${r.method} ${r.path}`, access);
  }
  return table;
}

export type Principal =
  | { kind: "session"; user: User; token: string }
  | { kind: "api_key"; keyId: number; keyName: string; scope: KeyScope };

export function principalName(p: Principal | null): string | null {
  if (!p) return null;
  return p.kind === "session" ? p.user.username : `api_key:${p.keyName}`;
}

function presentedKey(headers: Headers): string | null {
  const header = headers.get("x-api-key");
  if (header !== null) return header.trim();
  const authz = headers.get("authorization");
  if (authz !== null && /^bearer\s+/i.test(authz)) return authz.replace(/^bearer\s+/i, "").trim();
  return null;
}

function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null;
    }
  }
  return null;
}

export function resolvePrincipal(ctx: AppContext, headers: Headers): Principal | null {
  const key = presentedKey(headers);
  if (key !== null) {
    const found = ctx.apiKeys.authenticate(key);
    return found ? { kind: "api_key", keyId: found.id, keyName: found.name, scope: found.scope } : null;
  }
  const signed = cookieValue(headers.get("cookie"), SESSION_COOKIE);
  const token = signed === null ? null : verifySessionToken(signed, ctx.sessionSecret);
  if (token === null) return null;
  const user = ctx.sessions.lookup(token);
  return user ? { kind: "session", user, token } : null;
}

/**
 * The Host header as RFC 9110 allows it (`host[:port]`, host a reg-name, IPv4 or [IPv6]). Without a
 * valid one the server cannot even say which URL was asked for; real clients always send one.
 */
export function validHost(host: string | null): boolean {
  return host !== null && /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{1,5})?$/.test(host);
}

type Admission = { principal: Principal | null; actor: Actor };

export const READ_ONLY = "This API key is read-only";

/**
 * The guard, one instance per app: every API plugin `.use()`s it for the `principal`/`actor` types,
 * and handing out the same instance keeps that to one set of hooks. `createApp` gives it the route table.
 */
export function authentication(ctx: AppContext) {
  let guard = instances.get(ctx);
  if (!guard) instances.set(ctx, (guard = createGuard(ctx)));
  return guard.plugin;
}

/** Hands the guard the app's routes once they are all registered (until then every route is protected). */
export function bindRouteTable(ctx: AppContext, routes: readonly RouteEntry[]): void {
  authentication(ctx);
  instances.get(ctx)!.table = accessTable(routes);
}

const instances = new WeakMap<AppContext, ReturnType<typeof createGuard>>();

function createGuard(ctx: AppContext) {
  const admitted = new WeakMap<Request, Admission>();
  const state = { table: new Map<string, Access>(), plugin: null as unknown as ReturnType<typeof build> };

  /** Decides once per request, on the matched route; throws 401/403, or a redirect for pages. */
  const admit = (request: Request, route: string, server: { requestIP(r: Request): { address: string } | null } | null): Admission => {
    const done = admitted.get(request);
    if (done) return done;
    const principal = resolvePrincipal(ctx, request.headers);
    const admission: Admission = {
      principal,
      actor: {
        username: principalName(principal),
        // Only audited actions need the address; look it up then, not on every request.
        get ip() {
          try {
            return server?.requestIP(request)?.address ?? null;
          } catch {
            return null; // a request that came in over the unix socket has no IP
          }
        },
        userAgent: request.headers.get("user-agent"),
      },
    };
    const method = request.method === "HEAD" ? "GET" : request.method;
    const access = state.table.get(`${method} ${route}`);
    if (access !== "public") {
      if (access === "page") {
        if (!ctx.users.hasAnyUser()) throw new Redirect("/setup");
        if (!principal) {
          const url = new URL(request.url);
          throw new Redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
        }
      } else {
        if (!ctx.users.hasAnyUser()) throw new HttpError(401, "Setup required");
        if (!principal) throw notAuthenticated();
      }
      if (principal.kind === "session" && !isSafeMethod(request.method) && isCrossSite(request.headers, request.url)) {
        throw new HttpError(403, "Cross-site request rejected: cookie-authenticated changes must come from the Argus UI's own origin");
      }
    }
    // A read key is refused every unsafe method of every route it reaches (public ones too: it may
    // not log in or set up either), decided on the method of the request the router matched.
    if (principal?.kind === "api_key" && principal.scope === "read" && !isSafeMethod(request.method)) throw new HttpError(403, READ_ONLY);
    admitted.set(request, admission);
    return admission;
  };

  const build = () =>
    new Elysia({ name: "argus.authentication" })
      .use(routeAccess)
      // Before routing: a request without a valid Host is malformed (HTTP/1.1 requires it), and the URL
      // the framework builds from it is not one anything should be decided on.
      .onRequest(({ request }) => {
        if (!validHost(request.headers.get("host")) || !URL.canParse(request.url)) throw new HttpError(400, "Missing or invalid Host header");
      })
      // The first parse hook: a body is read only for a caller who may send it.
      .onParse({ as: "global" }, ({ request, route, server }) => void admit(request, route, server))
      // Transform runs for every matched route, body or not, before validation.
      .derive({ as: "global" }, ({ request, route, server }) => admit(request, route, server));
  state.plugin = build();
  return state;
}

/** Whether a principal's credential still stands (long-lived responses re-check it: a key revoked or a
 *  session ended while a live stream is open must stop receiving). */
export function stillAuthenticated(ctx: AppContext, p: Principal): boolean {
  return p.kind === "api_key" ? ctx.apiKeys.get(p.keyId) !== null : ctx.sessions.lookup(p.token) !== null;
}

/** For handlers that need a principal (behind the guard it is always set). */
export function requirePrincipal(p: Principal | null): Principal {
  if (!p) throw notAuthenticated();
  return p;
}
